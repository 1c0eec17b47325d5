/** How the page writes dates, durations and money. */
import { h } from "./dom.js";

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export const when = (iso: string | null | undefined) =>
  iso ? h("time", { datetime: iso }, DATE_TIME.format(new Date(iso))) : "—";

export const day = (iso: string | null | undefined) =>
  iso ? h("time", { datetime: iso }, DATE.format(new Date(iso))) : "—";

export const timeOfDay = (iso: string) => TIME.format(new Date(iso));

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
