/**
 * tangram_jet1090 frontend: aircraft on the map, a count in the top bar and the selected
 * aircraft's details and trail in the side bar.
 *
 * The backend streams `{count, aircraft}` to `streaming-<connectionId>` once a second,
 * filtered by the view the shell reports in `streaming-<connectionId>:bound-box`. That
 * topic is private to this page (only it can join or push there), so the backend takes
 * the id from the topic. `join-streaming` is pushed there at start and every minute, as a
 * keep-alive for the backend's safety-net expiry; `leave-streaming` on tear-down.
 *
 * In the past (the shell's timeline), frames come from the history instead (past.ts),
 * and streamed frames are kept aside until the page is live again. The command palette
 * gets live-aircraft and past-flight providers (search.ts).
 */
import { definePlugin } from "@tangram/api";
import { watch } from "vue";
import CountWidget from "./CountWidget.vue";
import InfoWidget from "./InfoWidget.vue";
import ReceiversWidget from "./ReceiversWidget.vue";
import { installLayer } from "./layer";
import LegendWidget from "./LegendWidget.vue";
import { installPast } from "./past";
import { liveProvider, pastProvider } from "./search";
import { counts, legend } from "./store";
import { colouringOf, Trail } from "./trail";
import type { Frame, StateVector } from "./types";

const KEEPALIVE_MS = 60_000;
/** Name of the User Timing measure of each frame applied (parsing aside). */
const UPDATE_MEASURE = "jet1090:update";

export default definePlugin(async (api) => {
  api.ui.registerWidget("jet1090-count", "TopBar", CountWidget);
  api.ui.registerWidget("jet1090-info", "SideBar", InfoWidget);
  api.ui.registerWidget("jet1090-receivers", "TopBar", ReceiversWidget);
  const colouring = colouringOf(api.config);
  legend.colouring = colouring;
  api.ui.registerWidget("jet1090-trail-legend", "MapOverlay", LegendWidget);

  /** What the map shows: the newest streamed frame, or the picture at a past instant. */
  let shown: StateVector[] = [];
  let streamed: StateVector[] = [];
  let streamedCount = 0;
  const trail = new Trail(api, colouring);
  await trail.install(); // below the aircraft layer
  const layer = await installLayer(api, (ids) => {
    const [first] = ids;
    void trail.follow(first ?? null);
  });
  api.search.registerProvider(liveProvider(api, () => shown));
  api.search.registerProvider(pastProvider(api));

  const show = (aircraft: StateVector[], count: number): void => {
    const started = performance.now();
    shown = aircraft;
    counts.total = count;
    counts.visible = aircraft.length;
    counts.lastFrame = Date.now();
    layer.update(aircraft); // the shared store (TYPE_NAME) and the map
    trail.extend(aircraft);
    // A User Timing entry: visible in DevTools' Timings track, read by benchmarks/web_bench.py.
    // Cleared at once, so a page open for days keeps no growing buffer (observers still
    // receive the entry).
    performance.measure(UPDATE_MEASURE, { start: started });
    performance.clearMeasures(UPDATE_MEASURE);
  };
  // A jump in time (not the steady advance of playback) needs the trail fetched again.
  let lastAt = api.time.at.value;
  api.onTeardown(
    watch(api.time.at, (at) => {
      const jumped = at === null || lastAt === null || at < lastAt || at - lastAt > 120;
      lastAt = at;
      if (jumped) void trail.follow(layer.selectedIds().values().next().value ?? null, true);
    }),
  );
  installPast(
    api,
    (frame) => show(frame.aircraft, frame.count),
    () => show(streamed, streamedCount),
  );

  const id = api.realtime.connectionId;
  if (id === null) return; // channel disabled: nothing will be streamed

  api.onTeardown(
    api.realtime.subscribe<Frame>(`streaming-${id}:new-jet1090-data`, (frame) => {
      streamed = frame.aircraft;
      streamedCount = frame.count;
      if (api.time.at.value === null) show(frame.aircraft, frame.count);
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
