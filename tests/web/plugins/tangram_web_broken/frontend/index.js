import { h } from "vue";

// A named `install` export (rather than a default one) is accepted too.
export async function install(api) {
  api.ui.registerWidget("broken-widget", "SideBar", { render: () => h("div", { class: "broken-widget" }, "x") });
  await api.map.whenReady();
  api.map.addSource("broken-source", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  api.map.addLayer({ id: "broken-layer", type: "circle", source: "broken-source" });
  throw new Error("deliberate failure in tangram_web_broken");
}
