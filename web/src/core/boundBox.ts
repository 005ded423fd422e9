/**
 * Tells the backend what this browser looks at: `bound-box` on the page's private topic
 * `streaming-<connectionId>`, on every map move, selection change and (re)join of that
 * topic. Only this page can join it, so the backend knows whose view it is from the
 * topic. The jet1090 plugin filters the aircraft it streams to this connection with it
 * (see docs/frontend.md).
 */
import type { Map as MaplibreMap } from "maplibre-gl";
import { watch } from "vue";
import type { StateApi } from "@tangram/api";
import type { RealtimeClient } from "./realtime";

export interface BoundBoxMessage {
  connectionId: string;
  northEastLat: number;
  northEastLng: number;
  southWestLat: number;
  southWestLng: number;
  selectedEntities: Array<{ id: string; typeName: string }>;
}

export function boundBoxOf(map: MaplibreMap, state: StateApi, connectionId: string): BoundBoxMessage {
  const bounds = map.getBounds();
  const ne = bounds.getNorthEast().wrap();
  const sw = bounds.getSouthWest().wrap();
  const wholeWorld = bounds.getEast() - bounds.getWest() >= 360;
  return {
    connectionId,
    northEastLat: ne.lat,
    // West > east means the box crosses the antimeridian; a world-wide view is sent as
    // the full range so that nothing is filtered out.
    northEastLng: wholeWorld ? 180 : ne.lng,
    southWestLat: sw.lat,
    southWestLng: wholeWorld ? -180 : sw.lng,
    selectedEntities: state.selected.value.map(({ id, typeName }) => ({ id, typeName })),
  };
}

export function publishBoundBox(map: MaplibreMap, state: StateApi, realtime: RealtimeClient): void {
  const id = realtime.connectionId;
  if (!realtime.enabled || !id) return;
  const topic = `streaming-${id}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      realtime.publish(`${topic}:bound-box`, boundBoxOf(map, state, id)).catch((error: unknown) => {
        console.warn(`[tangram] ${topic}:bound-box not delivered:`, error);
      });
    }, 150);
  };
  map.on("moveend", send);
  watch(state.selected, send);
  realtime.onJoin(topic, send);
}
