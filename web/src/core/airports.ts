/**
 * The shell's own search provider: airports from the core's offline database
 * (`GET /search/airports`, see docs/airports.md). Picking one flies the map there.
 */
import type { Map as MaplibreMap } from "maplibre-gl";
import type { EndpointSearchProvider, SearchResult } from "@tangram/api";

export interface Airport {
  icao: string;
  iata: string;
  name: string;
  city: string;
  country: string;
  lat: number;
  lon: number;
}

/** Zoom an airport is shown at: its runways fill the view. */
export const AIRPORT_ZOOM = 12;

export function airportProvider(map: () => MaplibreMap): EndpointSearchProvider<Airport[]> {
  return {
    id: "core-airports",
    label: "Airports",
    endpoint: (query) => `/search/airports?q=${encodeURIComponent(query)}&limit=8`,
    results(airports, query): SearchResult[] {
      const q = query.trim().toUpperCase();
      return airports.map((airport, rank) => ({
        id: airport.icao,
        title: `${airport.icao}${airport.iata ? ` · ${airport.iata}` : ""} ${airport.name}`,
        subtitle: [airport.city, airport.country].filter(Boolean).join(", "),
        // An exact IATA code ranks below a callsign prefix: "AFR" is Air France more often
        // than Afore airport.
        score: airport.icao === q ? 1 : airport.iata === q ? 0.85 : 0.6 - rank * 0.01,
        pick() {
          map().flyTo({ center: [airport.lon, airport.lat], zoom: AIRPORT_ZOOM, essential: true });
        },
      }));
    },
  };
}
