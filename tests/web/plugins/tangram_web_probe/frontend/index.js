// Hand-written ES module: the bare imports below only resolve through the shell's import
// map, so loading this file at all proves the map works.
import { useTangram } from "@tangram/api";
import { defineComponent, h, onUnmounted, ref } from "vue";

const Feed = defineComponent({
  name: "ProbeFeed",
  setup() {
    const api = useTangram();
    const received = ref("");
    const sent = ref("");
    const off = api.realtime.subscribe("probe:feed:message", (payload) => {
      received.value = JSON.stringify(payload);
    });
    onUnmounted(off);
    const send = () =>
      api.realtime
        .publish("probe:feed:command", { hello: "from the browser", connectionId: api.realtime.connectionId })
        .then(() => (sent.value = "ok"), (error) => (sent.value = `error: ${error}`));
    return () =>
      h("div", { class: "probe-widget" }, [
        h("span", { class: "probe-received" }, received.value),
        h("button", { class: "probe-send", onClick: send }, "send"),
        h("span", { class: "probe-sent" }, sent.value),
        h("span", { class: "probe-config" }, JSON.stringify(api.config)),
      ]);
  },
});

const Second = defineComponent({
  name: "ProbeSecond",
  setup: () => () => h("div", { class: "probe-second" }, "second probe widget"),
});

const Overlay = defineComponent({
  name: "ProbeOverlay",
  setup: () => () => h("div", { class: "probe-overlay" }, "overlay"),
});

// Throws while rendering: the shell must contain it to this widget's frame.
const Crash = defineComponent({
  name: "ProbeCrash",
  setup() {
    throw new Error("deliberate render failure");
  },
});

export default async function install(api) {
  api.ui.registerWidget("probe-feed", "SideBar", Feed);
  api.ui.registerWidget("probe-second", "SideBar", Second);
  api.ui.registerWidget("probe-crash", "MapOverlay", Crash);
  api.ui.registerWidget("probe-overlay", "MapOverlay", Overlay);
  await api.map.whenReady();
  api.map.addSource("probe-point", {
    type: "geojson",
    data: { type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [2.35, 48.85] } },
  });
  api.map.addLayer({
    id: "probe-circle",
    type: "circle",
    source: "probe-point",
    paint: { "circle-radius": 6, "circle-color": "#d6336c" },
  });
}
