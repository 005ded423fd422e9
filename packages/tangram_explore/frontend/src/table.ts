/**
 * A table layer's data: `GET /explore/data/{id}?format=arrow`, read with apache-arrow's
 * IPC reader, which gives each float64 column as a Float64Array over the downloaded
 * bytes (no copy, no object per row).
 */
import { tableFromIPC, type Vector } from "apache-arrow";
import type { Timings } from "./gl";

export interface TableColumns {
  count: number;
  longitude: Float64Array;
  latitude: Float64Array;
  /** the `color_by` column (NaN where missing), if any */
  values: Float64Array | null;
  /** for lines: each row's line, as an integer (rows of one line are contiguous) */
  lines: Int32Array | null;
}

function floats(vector: Vector | null, name: string): Float64Array {
  // One batch (the server writes one); a view when aligned, which Arrow's writer ensures.
  const values: unknown = vector?.data.length === 1 ? vector.data[0].values : vector?.toArray();
  if (!(values instanceof Float64Array)) throw new Error(`explore: column ${name} is not float64`);
  return values;
}

export async function fetchTable(
  id: string,
  value: string | undefined,
  group: string | null | undefined,
  timings: Timings,
): Promise<TableColumns | null> {
  const response = await fetch(`/explore/data/${encodeURIComponent(id)}?format=arrow`);
  if (!response.ok) return null;
  timings.responded = performance.now();
  const bytes = new Uint8Array(await response.arrayBuffer());
  timings.downloaded = performance.now();
  const table = tableFromIPC(bytes);
  const columns: TableColumns = {
    count: table.numRows,
    longitude: floats(table.getChild("longitude"), "longitude"),
    latitude: floats(table.getChild("latitude"), "latitude"),
    values: value ? floats(table.getChild(value), value) : null,
    lines: null,
  };
  if (group) {
    const vector = table.getChild(group);
    // Dictionary-encoded: the integer keys, one batch.
    const keys: unknown =
      vector?.data.length === 1 ? vector.data[0].values : table.numRows === 0 ? new Int32Array(0) : null;
    if (!(keys instanceof Int32Array)) throw new Error(`explore: column ${group} is not dictionary<int32>`);
    columns.lines = keys;
  }
  timings.parsed = performance.now();
  return columns;
}
