/**
 * tangram_jet1090 frontend: aircraft on the map, a count in the top bar and the selected
 * aircraft's details and trail in the side bar.
 *
 * The backend streams `{count, aircraft}` to `streaming-<connectionId>` once a second,
 * filtered by the view the shell reports in `streaming-<connectionId>:bound-box`. That
 * topic is private to this page (only it can join or push there), so the backend takes
 * the id from the topic. `join-streaming` is pushed there at start and every minute, as a
 * keep-alive for the backend's safety-net expiry; `leave-streaming` on tear-down.
 */
import { definePlugin, type Entity } from "@tangram/api";
import { watch } from "vue";
import CountWidget from "./CountWidget.vue";
import InfoWidget from "./InfoWidget.vue";
import { installLayer, SOURCE, selectedIds, toGeoJSON } from "./layer";
import { counts } from "./store";
import { Trail } from "./trail";
import { TYPE_NAME, type Frame, type StateVector } from "./types";

const KEEPALIVE_MS = 60_000;

export default definePlugin(async (api) => {
  api.ui.registerWidget("jet1090-count", "TopBar", CountWidget);
  api.ui.registerWidget("jet1090-info", "SideBar", InfoWidget);

  let latest: StateVector[] = [];
  const entityOf = (icao24: string): Entity | undefined =>
    api.state.getEntities(TYPE_NAME).find((entity) => entity.id === icao24);
  const trail = new Trail(api);
  await trail.install(); // below the aircraft layer
  await installLayer(api, entityOf);

  const redraw = (): void => {
    if (api.map.getGeoJSONSource(SOURCE)) api.map.setData(SOURCE, toGeoJSON(latest, selectedIds(api)));
  };
  const stopWatching = watch(api.state.selected, () => {
    redraw();
    const [first] = selectedIds(api);
    void trail.follow(first ?? null);
  });
  api.onTeardown(stopWatching);

  const id = api.realtime.connectionId;
  if (id === null) return; // channel disabled: nothing will be streamed

  api.onTeardown(
    api.realtime.subscribe<Frame>(`streaming-${id}:new-jet1090-data`, (frame) => {
      latest = frame.aircraft;
      counts.total = frame.count;
      counts.visible = frame.aircraft.length;
      counts.lastFrame = Date.now();
      api.state.replaceEntities(
        TYPE_NAME,
        frame.aircraft.map((a) => ({ id: a.icao24, typeName: TYPE_NAME, state: { ...a } })),
      );
      redraw();
      trail.extend(frame.aircraft);
    }),
  );

  const announce = (event: "join-streaming" | "leave-streaming"): void => {
    api.realtime.publish(`streaming-${id}:${event}`, {}).catch((error: unknown) => {
      console.warn(`[jet1090] streaming-${id}:${event} not delivered:`, error);
    });
  };
  announce("join-streaming");
  const keepalive = setInterval(() => announce("join-streaming"), KEEPALIVE_MS);
  api.onTeardown(() => {
    clearInterval(keepalive);
    announce("leave-streaming");
  });
});
