/**
 * tangram_ship162 frontend: vessels on the map, a count in the top bar and the selected
 * ship's details and trail in the side bar.
 *
 * The backend streams `{count, ship}` to `streaming-<connectionId>` once a second,
 * filtered by the view the shell reports in `streaming-<connectionId>:bound-box` (the
 * same private topic and box as the aircraft: both plugins stream side by side).
 * `join-streaming` is pushed there at start and every minute as a keep-alive.
 */
import { definePlugin } from "@tangram/api";
import CountWidget from "./CountWidget.vue";
import InfoWidget from "./InfoWidget.vue";
import { installLayer } from "./layer";
import { shipProvider } from "./search";
import { counts } from "./store";
import { Trail } from "./trail";
import type { Frame } from "./types";

const KEEPALIVE_MS = 60_000;

export default definePlugin(async (api) => {
  api.ui.registerWidget("ship162-count", "TopBar", CountWidget);
  api.ui.registerWidget("ship162-info", "SideBar", InfoWidget);
  api.search.registerProvider(shipProvider(api));

  // The demo scene is simulated: say so wherever ships are shown.
  fetch("/ship162/stats")
    .then((response) => (response.ok ? response.json() : null))
    .then((stats: { simulated?: boolean } | null) => void (counts.simulated = stats?.simulated === true))
    .catch(() => undefined);

  const trail = new Trail(api);
  await trail.install(); // below the vessel layer
  const layer = await installLayer(api, (ids) => {
    const [first] = ids;
    void trail.follow(first ?? null);
  });

  const id = api.realtime.connectionId;
  if (id === null) return; // channel disabled: nothing will be streamed

  api.onTeardown(
    api.realtime.subscribe<Frame>(`streaming-${id}:new-ship162-data`, (frame) => {
      counts.total = frame.count;
      counts.visible = frame.ship.length;
      layer.update(frame.ship); // the shared store (TYPE_NAME) and the map
      trail.extend(frame.ship);
    }),
  );

  const announce = (): void => {
    api.realtime.publish(`streaming-${id}:join-streaming`, {}).catch((error: unknown) => {
      console.warn(`[ship162] streaming-${id}:join-streaming not delivered:`, error);
    });
  };
  announce();
  const keepalive = setInterval(announce, KEEPALIVE_MS);
  // No leave-streaming on tear-down: the topic is shared with the other entity
  // plugins; the gateway's phx_leave ends the stream when the page goes.
  api.onTeardown(() => clearInterval(keepalive));
});
