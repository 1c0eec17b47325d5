/**
 * How the page writes dates, durations and money. Times are the viewer's local time and say
 * which zone they are in (the zone's short name on each time, its full name in a tooltip).
 */
import { h } from "./dom.js";

/** The viewer's time zone, as the browser reports it (e.g. "Europe/Berlin"). */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const ZONE = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

const zoneOf = (date: Date) => ZONE.formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? TIME_ZONE;

export function when(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return "—";
  const date = new Date(iso);
  return h("time", { datetime: iso, title: TIME_ZONE }, `${DATE_TIME.format(date)} ${zoneOf(date)}`);
}

export const day = (iso: string | null | undefined) =>
  iso ? h("time", { datetime: iso }, DATE.format(new Date(iso))) : "—";

export const timeOfDay = (iso: string) => `${TIME.format(new Date(iso))} ${zoneOf(new Date(iso))}`;

/** An estimate in words: "40 s", "3 min", "1 h 20 min". */
export function secondsLeft(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function duration(ms: number | null | undefined): string {
  if (!ms) return "—";
  const minutes = Math.round(ms / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A position in a recording, m:ss. */
export function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function money(amount: string | null, currency: string | null): string {
  if (!amount) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency ?? "USD" }).format(Number(amount));
  } catch {
    return `${amount} ${currency ?? ""}`;
  }
}
