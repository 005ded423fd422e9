/** What the backend streams (see docs/jet1090.md). */
export interface StateVector {
  icao24: string;
  firstseen: number;
  lastseen: number;
  callsign: string | null;
  registration: string | null;
  typecode: string | null;
  squawk: string | null;
  latitude: number | null;
  longitude: number | null;
  altitude: number | null;
  selected_altitude: number | null;
  groundspeed: number | null;
  vertical_rate: number | null;
  track: number | null;
  ias: number | null;
  tas: number | null;
  mach: number | null;
  roll: number | null;
  heading: number | null;
  nacp: number | null;
  count: number;
}

/** `to:streaming-<connectionId>:new-jet1090-data`. */
export interface Frame {
  count: number;
  aircraft: StateVector[];
}

/** A point of `GET /jet1090/data/{icao24}`. */
export interface TrajectoryPoint {
  icao24: string;
  timestamp: number;
  latitude: number | null;
  longitude: number | null;
  altitude: number | null;
}

/** `typeName` of aircraft in the shared entity store and in `selectedEntities`. */
export const TYPE_NAME = "jet1090_aircraft";
