/** The layers object of each installed copy of this plugin, for its widget. */
import type { TangramApi } from "@tangram/api";
import type { ExploreLayers } from "./layers";

const byApi = new WeakMap<TangramApi, ExploreLayers>();

export function provideLayers(api: TangramApi, layers: ExploreLayers): void {
  byApi.set(api, layers);
}

export function layersOf(api: TangramApi): ExploreLayers {
  const layers = byApi.get(api);
  if (!layers) throw new Error("tangram_explore: widget rendered before install()");
  return layers;
}
