/**
 * `installEntityLayer`: what every plugin that streams moving entities (aircraft,
 * vessels...) needs on the map, in one place: the entities in the shared store, a
 * WebGL icon per entity (iconLayer.ts), text labels when zoomed in, a pointer cursor
 * and an optional tooltip on hover, click to select, colours that follow the theme,
 * and a redraw when the selection changes. Its types are in web/api/entities.d.ts.
 */
import maplibregl, { type MapMouseEvent } from "maplibre-gl";
import { watch } from "vue";
import type { EntityColours, EntityLayer, EntityLayerOptions, TangramApi } from "@tangram/api";
import { IconLayer } from "./iconLayer";

/** The default position: numeric `longitude` and `latitude` fields, as streamed. */
function latitudeLongitude(item: unknown): [number, number] | null {
  const { latitude, longitude } = item as { latitude?: unknown; longitude?: unknown };
  return typeof latitude === "number" && typeof longitude === "number" ? [longitude, latitude] : null;
}

export async function installEntityLayer<T>(api: TangramApi, options: EntityLayerOptions<T>): Promise<EntityLayer<T>> {
  const map = await api.map.whenReady();
  const { typeName, key, labels } = options;
  const position = options.position ?? latitudeLongitude;
  const theme = (): EntityColours => options.colours[api.theme.current.value];
  const icons = new IconLayer<T>(options.id, { ...options, position, image: options.icon, colours: theme() });
  api.map.addLayer(icons);
  const labelsId = `${options.id}-labels`;
  if (labels) {
    api.map.addSource(labelsId, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    api.map.addLayer({
      id: labelsId,
      type: "symbol",
      source: labelsId,
      minzoom: labels.minzoom,
      layout: {
        "text-field": ["get", "label"],
        "text-size": labels.size,
        "text-offset": labels.offset,
        "text-anchor": "top",
        "text-optional": true,
      },
      paint: { "text-color": theme().text, "text-halo-color": theme().halo, "text-halo-width": 1.2 },
    });
  }
  api.onTeardown(
    watch(api.theme.current, () => {
      icons.setColours(theme());
      if (map.getLayer(labelsId)) {
        map.setPaintProperty(labelsId, "text-color", theme().text);
        map.setPaintProperty(labelsId, "text-halo-color", theme().halo);
      }
    }),
  );

  const selectedIds = (): Set<string> =>
    new Set(api.state.selected.value.filter((e) => e.typeName === typeName).map((e) => e.id));
  let shown: readonly T[] = [];
  let labelled = false;
  const label = (): void => {
    if (!labels) return;
    // Zoomed out the labels are hidden: skip building and tiling them every second.
    const wanted = map.getZoom() >= labels.minzoom - 0.5;
    if (!wanted && !labelled) return;
    const features = [];
    for (const item of wanted ? shown : []) {
      const p = position(item);
      if (p === null) continue;
      const geometry = { type: "Point" as const, coordinates: p };
      features.push({ type: "Feature" as const, geometry, properties: { label: labels.text(item) } });
    }
    if (api.map.getGeoJSONSource(labelsId)) api.map.setData(labelsId, { type: "FeatureCollection", features });
    labelled = wanted;
  };
  const draw = (): void => {
    icons.setData(shown, selectedIds());
    label();
  };

  // Each frame refreshes the selected entity's state (same id, new object): redraw only
  // when the selection itself changed.
  let selectedKey = "";
  const stopWatching = watch(api.state.selected, () => {
    const ids = selectedIds();
    const next = [...ids].join(",");
    if (next === selectedKey) return;
    selectedKey = next;
    draw();
    options.onSelectionChange?.(ids);
  });

  const tooltip = options.tooltip
    ? new maplibregl.Popup({ closeButton: false, closeOnClick: false, offset: 14, className: options.tooltip.className })
    : null;
  let hovered: T | undefined;
  const hover = (event: MapMouseEvent): void => {
    const item = icons.at(event.point);
    if (item === hovered) return;
    hovered = item;
    map.getCanvas().style.cursor = item ? "pointer" : "";
    const p = item === undefined ? null : position(item);
    if (!tooltip) return;
    if (item === undefined || p === null) tooltip.remove();
    else tooltip.setLngLat(p).setDOMContent(options.tooltip!.content(item)).addTo(map);
  };
  const away = (): void => {
    hovered = undefined;
    map.getCanvas().style.cursor = "";
    tooltip?.remove();
  };
  const onClick = (event: MapMouseEvent): void => {
    const item = icons.at(event.point);
    const entity = item === undefined ? undefined : api.state.entities.value.get(typeName)?.get(key(item));
    if (entity) api.state.select(entity);
  };
  map.on("zoomend", label);
  map.on("mousemove", hover);
  map.on("mouseout", away);
  map.on("click", onClick);
  api.onTeardown(() => {
    stopWatching();
    map.off("zoomend", label);
    map.off("mousemove", hover);
    map.off("mouseout", away);
    map.off("click", onClick);
    tooltip?.remove();
  });

  return {
    icons,
    selectedIds,
    update(items) {
      shown = items;
      // The items are the frame's, fresh from JSON.parse and never modified: no copies.
      api.state.replaceEntities(
        typeName,
        items.map((item) => ({ id: key(item), typeName, state: item as Record<string, unknown> })),
      );
      draw();
    },
  };
}
