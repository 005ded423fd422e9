/**
 * The page's clock for time travel: live (`at` is null) or an instant in the past,
 * paused or playing back at 1x, 10x or 60x. Playback advances `at` four times a second;
 * reaching the present returns to live. Plugins watch `at` and fetch what was true then.
 */
import { ref } from "vue";
import type { TimeApi, TimeRange } from "@tangram/api";

export const SPEEDS = [1, 10, 60] as const;
const TICK_MS = 250;

export interface TimeController extends TimeApi {
  toggle(): void;
}

export function createTime(): TimeController {
  const at = ref<number | null>(null);
  const playing = ref(false);
  const speed = ref<number>(1);
  const range = ref<TimeRange | null>(null);
  let timer: ReturnType<typeof setInterval> | undefined;

  const stopTimer = (): void => {
    clearInterval(timer);
    timer = undefined;
  };
  const live = (): void => {
    stopTimer();
    playing.value = false;
    at.value = null;
  };
  const seek = (t: number): void => {
    if (!Number.isFinite(t)) throw new Error(`time.seek(${String(t)}): expected UNIX seconds`);
    if (t >= Date.now() / 1000) {
      live();
      return;
    }
    at.value = t;
  };
  const tick = (): void => {
    if (at.value === null) return live();
    seek(at.value + (speed.value * TICK_MS) / 1000);
  };
  const play = (): void => {
    if (at.value === null) return; // live is always "playing"
    playing.value = true;
    stopTimer();
    timer = setInterval(tick, TICK_MS);
  };
  const pause = (): void => {
    stopTimer();
    playing.value = false;
  };
  return {
    at,
    playing,
    speed,
    range,
    seek,
    live,
    play,
    pause,
    toggle: () => (playing.value ? pause() : play()),
    setSpeed(value) {
      if (!(SPEEDS as readonly number[]).includes(value)) {
        throw new Error(`time.setSpeed(${String(value)}): expected one of ${SPEEDS.join(", ")}`);
      }
      speed.value = value;
    },
    setRange(value) {
      range.value = value;
    },
  };
}

/** `HH:MM:SS` in UTC. */
export function utcClock(t: number): string {
  return new Date(t * 1000).toISOString().slice(11, 19);
}
