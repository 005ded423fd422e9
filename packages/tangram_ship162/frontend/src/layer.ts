/**
 * The vessels on the map, through the shell's entity layer (`installEntityLayer`): one
 * hull per ship, coloured by type, rotated by heading or course, click to select, names
 * from zoom 9.
 */
import { installEntityLayer, type EntityLayer, type TangramApi } from "@tangram/api";
import { vesselIcon } from "./icon";
import { TYPE_NAME, typeColour, type Ship } from "./types";

export const LAYER = "ship162-vessels";

export function installLayer(
  api: TangramApi,
  onSelectionChange: (ids: ReadonlySet<string>) => void,
): Promise<EntityLayer<Ship>> {
  return installEntityLayer<Ship>(api, {
    typeName: TYPE_NAME,
    id: LAYER,
    icon: vesselIcon(),
    radius: 9.5,
    selectedScale: 1.5,
    colours: {
      light: { fill: "#546e7a", selected: "#e8590c", halo: "#ffffff", text: "#0d3b66" },
      dark: { fill: "#90a4ae", selected: "#e8590c", halo: "#10151a", text: "#cfe3f5" },
    },
    key: (s) => String(s.mmsi),
    rotation: (s) => s.heading ?? s.course ?? 0,
    colour: (s) => typeColour(s.ship_type),
    labels: { minzoom: 9, text: (s) => s.shipname ?? String(s.mmsi), size: 10, offset: [0, 1.5] },
    onSelectionChange,
  });
}
