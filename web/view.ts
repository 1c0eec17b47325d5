/**
 * The current view: show() replaces the page's main content; what a view opened (live
 * subscriptions) is closed when the next view renders. rerender() asks the router to draw
 * the current route again.
 */
import { type Child, compact, h } from "./dom.js";

let leaving: (() => void)[] = [];
let renderer: () => Promise<void> = async () => {};

const main = () => document.getElementById("main") as HTMLElement;

export function show(title: string, ...content: Child[]): void {
  document.title = `${title} — callsync`;
  const heading = h("h1", { tabindex: -1 }, title);
  main().replaceChildren(heading, ...compact(content));
  heading.focus({ preventScroll: true });
}

/** Runs when the current view is replaced. */
export function onLeave(dispose: () => void): void {
  leaving.push(dispose);
}

export function leaveView(): void {
  for (const dispose of leaving) dispose();
  leaving = [];
}

export function setRenderer(render: () => Promise<void>): void {
  renderer = render;
}

export function rerender(): void {
  void renderer();
}
