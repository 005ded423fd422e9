/**
 * Drag a file onto the map to import it as a layer. The server parses it (GeoJSON, CSV,
 * JSONL, jet1090 recordings, Parquet; gzipped or not) with the same rules as a
 * DataFrame pushed from Python, and announces the new layer to every page.
 */
import type { TangramApi } from "@tangram/api";
import { ref } from "vue";
import type { ExploreLayers, LayerInfo } from "./layers";

/** The last import's outcome, shown by the widget. */
export const dropStatus = ref<{ ok: boolean; text: string } | null>(null);

export async function upload(file: File, layers: ExploreLayers): Promise<void> {
  dropStatus.value = { ok: true, text: `importing ${file.name}…` };
  try {
    const url = `/explore/upload?name=${encodeURIComponent(file.name)}`;
    const response = await fetch(url, { method: "POST", body: file });
    const body = (await response.json()) as LayerInfo & { detail?: unknown };
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      dropStatus.value = { ok: false, text: detail };
      return;
    }
    layers.add(body); // also without a channel; the announcement is then a no-op
    dropStatus.value = { ok: true, text: `${file.name}: ${body.features} features` };
  } catch (error) {
    dropStatus.value = { ok: false, text: `${file.name}: ${String(error)}` };
  }
}

export function installDrop(api: TangramApi, layers: ExploreLayers): () => void {
  const target = api.map.map.getContainer();
  const over = (event: DragEvent): void => {
    if (!event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  };
  const drop = (event: DragEvent): void => {
    const files = event.dataTransfer?.files;
    if (!files || files.length === 0) return;
    event.preventDefault();
    for (const file of Array.from(files)) void upload(file, layers);
  };
  target.addEventListener("dragover", over);
  target.addEventListener("drop", drop);
  return () => {
    target.removeEventListener("dragover", over);
    target.removeEventListener("drop", drop);
  };
}
