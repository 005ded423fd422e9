/** What the backend streams (see docs/ship162.md). */
export interface Ship {
  mmsi: number;
  firstseen: number;
  lastseen: number;
  shipname: string | null;
  callsign: string | null;
  imo: number | null;
  ship_type: number | null;
  ship_type_text: string | null;
  latitude: number | null;
  longitude: number | null;
  speed: number | null;
  course: number | null;
  heading: number | null;
  status: number | null;
  status_text: string | null;
  length: number | null;
  width: number | null;
  draught: number | null;
  destination: string | null;
  eta: string | null;
  count: number;
}

/** `to:streaming-<connectionId>:new-ship162-data`. */
export interface Frame {
  count: number;
  ship: Ship[];
}

/** A point of `GET /ship162/data/{mmsi}`. */
export interface TrajectoryPoint {
  mmsi: number;
  timestamp: number;
  latitude: number | null;
  longitude: number | null;
}

/** `typeName` of ships in the shared entity store and in `selectedEntities`. */
export const TYPE_NAME = "ship162_ship";

/** Colour of a ship by its AIS type category (ITU-R M.1371 codes). */
export function typeColour(code: number | null): string {
  if (code === null) return "#7a8791"; // unknown: grey
  if (code === 30) return "#b5651d"; // fishing
  if (code >= 31 && code <= 32) return "#6b4f9e"; // towing
  if (code === 36 || code === 37) return "#c2185b"; // sailing, pleasure
  if (code >= 50 && code <= 59) return "#00838f"; // pilot, SAR, tug, port
  if (code >= 60 && code <= 69) return "#1565c0"; // passenger
  if (code >= 70 && code <= 79) return "#2e7d32"; // cargo
  if (code >= 80 && code <= 89) return "#c62828"; // tanker
  if (code >= 40 && code <= 49) return "#f9a825"; // high-speed craft
  return "#546e7a";
}
