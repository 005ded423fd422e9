/**
 * The command palette's "Ships" group: live vessels by name, MMSI or call sign, from
 * `GET /ship162/search` (the backend has every ship; the page only those in view).
 */
import type { Entity, SearchResult, TangramApi } from "@tangram/api";
import { TYPE_NAME, type Ship } from "./types";

/** Zoom a ship picked in the palette is shown at (never zooming out). */
const PICK_ZOOM = 10;

/** 1 exact, 0.9 prefix, 0.7 substring, else 0.4 (the backend matched it some other way). */
function score(ship: Ship, query: string): number {
  const q = query.trim().toUpperCase();
  const names = [String(ship.mmsi), ship.shipname ?? "", ship.callsign ?? ""].map((n) => n.trim().toUpperCase());
  if (names.includes(q)) return 1;
  if (names.some((n) => n.startsWith(q))) return 0.9;
  if (names.some((n) => n.includes(q))) return 0.7;
  return 0.4;
}

export function showShip(api: TangramApi, ship: Ship): void {
  const entity: Entity = { id: String(ship.mmsi), typeName: TYPE_NAME, state: { ...ship } };
  api.state.select(entity);
  if (ship.latitude !== null && ship.longitude !== null) {
    const map = api.map.map;
    map.flyTo({ center: [ship.longitude, ship.latitude], zoom: Math.max(map.getZoom(), PICK_ZOOM), essential: true });
  }
}

export function shipProvider(api: TangramApi) {
  return {
    id: "ship162-live",
    label: "Ships",
    endpoint: (query: string) => `/ship162/search?q=${encodeURIComponent(query)}`,
    results(answer: { ship: Ship[] }, query: string): SearchResult[] {
      return answer.ship.map((ship) => ({
        id: String(ship.mmsi),
        title: ship.shipname?.trim() || String(ship.mmsi),
        subtitle: [ship.mmsi, ship.callsign, ship.ship_type_text, ship.destination && `to ${ship.destination}`]
          .filter(Boolean)
          .join(" · "),
        score: score(ship, query),
        pick: () => showShip(api, ship),
      }));
    },
  };
}
