/**
 * The aircraft on the map, through the shell's entity layer (`installEntityLayer`): one
 * icon per aircraft rotated by track, click to select, a tooltip (callsign, altitude,
 * speed) on hover, callsigns from zoom 8; colours follow the theme.
 */
import { formatNumber, installEntityLayer, type EntityLayer, type TangramApi } from "@tangram/api";
import { aircraftIcon } from "./icon";
import { TYPE_NAME, type StateVector } from "./types";

export const LAYER = "jet1090-aircraft";

function tooltip(a: StateVector): HTMLElement {
  const rounded = (value: number | null): number | null => (value === null ? null : Math.round(value));
  const body = document.createElement("div");
  body.className = "jet1090-tooltip-body";
  const title = document.createElement("strong");
  title.textContent = a.callsign ?? a.icao24;
  const numbers = `${formatNumber(rounded(a.altitude), "ft")} · ${formatNumber(rounded(a.groundspeed), "kts")}`;
  body.append(title, document.createElement("br"), numbers);
  return body;
}

export function installLayer(
  api: TangramApi,
  onSelectionChange: (ids: ReadonlySet<string>) => void,
): Promise<EntityLayer<StateVector>> {
  return installEntityLayer<StateVector>(api, {
    typeName: TYPE_NAME,
    id: LAYER,
    icon: aircraftIcon(),
    radius: 11,
    selectedScale: 1.4,
    colours: {
      light: { fill: "#1c5d99", selected: "#e8590c", halo: "#ffffff", text: "#1f2a33" },
      dark: { fill: "#7cc4ff", selected: "#e8590c", halo: "#10151a", text: "#e3e8ec" },
    },
    key: (a) => a.icao24,
    rotation: (a) => a.track ?? a.heading ?? 0,
    labels: { minzoom: 8, text: (a) => a.callsign ?? a.icao24, size: 11, offset: [0, 1.6] },
    tooltip: { className: "jet1090-tooltip", content: tooltip },
    onSelectionChange,
  });
}
