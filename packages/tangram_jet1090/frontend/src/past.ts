/**
 * Time travel for jet1090: declares the stored range to the shell's timeline
 * (`GET /jet1090/history/range`), and while the page looks at the past, fetches the
 * picture at that instant in the view (`GET /jet1090/at`) instead of showing the stream.
 * One request at a time: a newer instant asked for meanwhile is fetched next.
 */
import type { TangramApi } from "@tangram/api";
import { watch } from "vue";
import type { Frame } from "./types";

const RANGE_EVERY_MS = 30_000;

export interface PastFrame extends Frame {
  timestamp: number;
}

function boxOf(api: TangramApi): string {
  const b = api.map.getBounds();
  const clampLat = (v: number): number => Math.max(-90, Math.min(90, v));
  if (b.getEast() - b.getWest() >= 360) {
    return `north=${clampLat(b.getNorth())}&south=${clampLat(b.getSouth())}&east=180&west=-180`;
  }
  const ne = b.getNorthEast().wrap();
  const sw = b.getSouthWest().wrap();
  return `north=${clampLat(ne.lat)}&south=${clampLat(sw.lat)}&east=${ne.lng}&west=${sw.lng}`;
}

/** Calls `show(frame)` with past pictures, and `live()` when the page returns to live. */
export function installPast(api: TangramApi, show: (frame: PastFrame) => void, live: () => void): void {
  let inFlight = false;
  let again = false;

  const fetchFrame = async (): Promise<void> => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      do {
        again = false;
        const t = api.time.at.value;
        if (t === null) return;
        const response = await fetch(`/jet1090/at?t=${t.toFixed(1)}&${boxOf(api)}`);
        if (!response.ok) throw new Error(`GET /jet1090/at answered HTTP ${response.status}`);
        const frame = (await response.json()) as PastFrame;
        if (api.time.at.value !== null) show(frame);
      } while (again);
    } catch (error) {
      console.warn("[jet1090] past picture:", error);
    } finally {
      inFlight = false;
    }
  };

  const stop = watch(api.time.at, (t, before) => {
    if (t !== null) void fetchFrame();
    else if (before !== null) live();
  });
  const onMove = (): void => {
    if (api.time.at.value !== null) void fetchFrame();
  };
  api.map.map.on("moveend", onMove);
  if (api.time.at.value !== null) void fetchFrame(); // opened from a `t=` link

  const range = async (): Promise<void> => {
    try {
      const response = await fetch("/jet1090/history/range");
      if (!response.ok) return; // history disabled: the timeline keeps its default
      const answer = (await response.json()) as { start: number | null; stop: number | null };
      if (answer.start !== null && answer.stop !== null) api.time.setRange({ start: answer.start, stop: answer.stop });
    } catch (error) {
      console.warn("[jet1090] history range:", error);
    }
  };
  void range();
  const timer = setInterval(() => void range(), RANGE_EVERY_MS);
  api.onTeardown(() => {
    stop();
    clearInterval(timer);
    api.map.map.off("moveend", onMove);
  });
}
