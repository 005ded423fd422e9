import type { TangramApi } from "@tangram/api";
import { installDrop } from "./drop";
import { ExploreLayers, type LayerInfo } from "./layers";
import LayersWidget from "./LayersWidget.vue";
import { provideLayers } from "./context";

type Change =
  | { action: "add"; layer: LayerInfo }
  | { action: "remove"; id: string }
  | { action: "clear" };

export default async function install(api: TangramApi): Promise<void> {
  await api.map.whenReady();
  const layers = new ExploreLayers(api);
  provideLayers(api, layers);
  api.ui.registerWidget("explore-layers", "SideBar", LayersWidget);
  // Subscribe before listing, so that nothing added in between is missed (add is
  // idempotent by id).
  api.realtime.subscribe<Change>("explore:layers", (change) => {
    if (change.action === "add") layers.add(change.layer);
    else if (change.action === "remove") layers.remove(change.id);
    else if (change.action === "clear") layers.clear();
  });
  const response = await fetch("/explore/layers");
  if (response.ok) for (const info of (await response.json()) as LayerInfo[]) layers.add(info);
  api.onTeardown(installDrop(api, layers));
}
