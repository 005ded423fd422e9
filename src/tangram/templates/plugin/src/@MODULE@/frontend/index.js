// The browser half of @DIST@: a plain ES module that the tangram web app imports as it
// is, with no build step. "vue" and "@tangram/api" resolve through the web app's import
// map. The API (api.ui, api.realtime, api.map, api.state) is described in tangram's
// docs/frontend.md, which also shows a Vite + Vue set-up for bigger frontends.
import { useTangram } from "@tangram/api";
import { defineComponent, h, onUnmounted, ref } from "vue";

const Ticks = defineComponent({
  name: "Ticks",
  setup() {
    const api = useTangram();
    const last = ref(null);
    // Topic "@DIST@", event "tick": what the service publishes to Redis "to:@DIST@:tick".
    const off = api.realtime.subscribe("@DIST@:tick", (payload) => {
      last.value = payload;
    });
    onUnmounted(off);
    return () =>
      h("section", { class: "@DIST@-widget" }, [
        h("h3", "@DIST@"),
        h("p", ["tick ", h("span", { class: "@DIST@-count" }, last.value ? String(last.value.count) : "…")]),
      ]);
  },
});

export default function install(api) {
  // Widget ids are unique across plugins: prefix them with the plugin's name.
  api.ui.registerWidget("@DIST@-ticks", "SideBar", Ticks);
}
