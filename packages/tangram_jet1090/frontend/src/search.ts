/**
 * jet1090's command-palette providers: live aircraft (the aircraft this page has, ranked
 * in the browser, merged with the backend's `GET /jet1090/search/live` over the whole
 * live picture) and past flights (`GET /jet1090/search`, from the history).
 */
import type { Entity, SearchResult, TangramApi } from "@tangram/api";
import { TYPE_NAME, type StateVector } from "./types";

/** A flight as `GET /jet1090/search` returns it. */
export interface PastFlight {
  icao24: string;
  callsign: string | null;
  registration?: string | null;
  squawk?: string | null;
  start: number;
  stop: number;
  count: number;
}

/** Zoom an aircraft picked in the palette is shown at (never zooming out). */
const PICK_ZOOM = 8;
/** A flight seen this recently is live: picking it stays in the present. */
const LIVE_WINDOW_S = 90;

/**
 * 1 exact, 0.9 prefix, 0.7 substring, 0.3-0.5 the query's characters in order (tighter
 * is better), 0 no match. Case-insensitive.
 */
export function fuzzyScore(text: string | null | undefined, query: string): number {
  if (!text) return 0;
  const t = text.toLowerCase();
  const q = query.toLowerCase();
  if (t === q) return 1;
  if (t.startsWith(q)) return 0.9;
  if (t.includes(q)) return 0.7;
  let from = 0;
  let first = -1;
  for (const ch of q) {
    const found = t.indexOf(ch, from);
    if (found < 0) return 0;
    if (first < 0) first = found;
    from = found + 1;
  }
  return 0.3 + (0.2 * q.length) / (from - first);
}

export function scoreAircraft(a: StateVector, query: string): number {
  const exactOnly = (value: string | null): number => (value && value.toLowerCase() === query.toLowerCase() ? 1 : 0);
  return Math.max(
    fuzzyScore(a.callsign?.trim(), query),
    fuzzyScore(a.icao24, query),
    fuzzyScore(a.registration, query),
    exactOnly(a.squawk), // a squawk is a code: a fuzzy squawk match means nothing
  );
}

function describe(a: StateVector): string {
  const altitude = a.altitude === null ? null : `${Math.round(a.altitude).toLocaleString("en-GB")} ft`;
  return [a.icao24, a.registration, a.typecode, altitude, a.squawk ? `squawk ${a.squawk}` : null]
    .filter(Boolean)
    .join(" · ");
}

/** Select an aircraft and bring the map to it. */
export function showAircraft(api: TangramApi, a: StateVector): void {
  const entity: Entity = { id: a.icao24, typeName: TYPE_NAME, state: { ...a } };
  api.state.select(entity);
  if (a.latitude !== null && a.longitude !== null) {
    const map = api.map.map;
    map.flyTo({ center: [a.longitude, a.latitude], zoom: Math.max(map.getZoom(), PICK_ZOOM), essential: true });
  }
}

export function liveProvider(api: TangramApi, local: () => StateVector[]) {
  return {
    id: "jet1090-live",
    label: "Aircraft (live)",
    async search(query: string, signal: AbortSignal): Promise<SearchResult[]> {
      const found = new Map<string, { a: StateVector; score: number }>();
      for (const a of local()) {
        const score = scoreAircraft(a, query);
        if (score > 0) found.set(a.icao24, { a, score });
      }
      if (api.time.at.value === null) {
        // The page only has the aircraft in view; the backend has them all.
        try {
          const response = await fetch(`/jet1090/search/live?q=${encodeURIComponent(query)}&limit=20`, { signal });
          if (response.ok) {
            for (const a of (await response.json()) as StateVector[]) {
              const score = Math.max(scoreAircraft(a, query), found.get(a.icao24)?.score ?? 0);
              if (score > 0) found.set(a.icao24, { a, score });
            }
          }
        } catch (error) {
          if (signal.aborted) throw error;
          console.warn("[jet1090] live search:", error);
        }
      }
      return [...found.values()]
        .sort((x, y) => y.score - x.score || (x.a.callsign ?? "~").localeCompare(y.a.callsign ?? "~"))
        .map(({ a, score }) => ({
          id: a.icao24,
          title: a.callsign?.trim() || a.icao24,
          subtitle: describe(a),
          score,
          pick: () => showAircraft(api, a),
        }));
    },
  };
}

function period(flight: PastFlight): string {
  const day = new Date(flight.start * 1000).toISOString().slice(0, 10);
  const clock = (t: number): string => new Date(t * 1000).toISOString().slice(11, 16);
  return `${day} ${clock(flight.start)}–${clock(flight.stop)} UTC`;
}

/** Travel to a past flight's last position and select it there (or live, if it still flies). */
async function showFlight(api: TangramApi, flight: PastFlight): Promise<void> {
  const live = flight.stop >= Date.now() / 1000 - LIVE_WINDOW_S;
  const t = live ? Date.now() / 1000 : flight.stop;
  const url = `/jet1090/history/${flight.icao24}?start=${Math.floor(t - 600)}&stop=${Math.ceil(t)}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  const points = (await response.json()) as Array<StateVector & { timestamp: number }>;
  const last = [...points].reverse().find((p) => p.latitude !== null && p.longitude !== null);
  if (live) api.time.live();
  else api.time.seek(flight.stop);
  if (last) showAircraft(api, { ...last, icao24: flight.icao24, callsign: last.callsign ?? flight.callsign });
}

export function pastProvider(api: TangramApi) {
  return {
    id: "jet1090-history",
    label: "Past flights",
    minLength: 2,
    endpoint: (query: string) => `/jet1090/search?q=${encodeURIComponent(query)}&limit=8`,
    results(flights: PastFlight[], query: string): SearchResult[] {
      return flights.map((flight) => ({
        id: `${flight.icao24}-${flight.start}`,
        title: `${flight.callsign?.trim() || flight.icao24}`,
        subtitle: `${flight.icao24} · ${period(flight)} · ${flight.count} points`,
        // below a live aircraft of the same name: the present is what people look for
        score: 0.95 * Math.max(fuzzyScore(flight.callsign?.trim(), query), fuzzyScore(flight.icao24, query), 0.4),
        pick: () => showFlight(api, flight),
      }));
    },
  };
}
