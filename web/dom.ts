/** Small DOM helpers shared by every view: element builder, badges, alerts, action buttons. */
import { ApiError } from "./api.js";

export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

/** h("button", { class: "x", onclick: fn }, "Label") */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Children for replaceChildren(): nested lists flattened, empty values dropped. */
export function compact(children: (Child | Child[])[]): (Node | string)[] {
  return children
    .flat()
    .filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : String(c)));
}

export const humanize = (code: string) => code.charAt(0) + code.slice(1).toLowerCase().replaceAll("_", " ");

export function badge(value: string, label = humanize(value)): HTMLElement {
  return h("span", { class: `badge ${value}` }, label);
}

export function facts(rows: [string, Child | Child[]][]): HTMLElement {
  return h("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, ...[v].flat())]));
}

export function alertBox(error: unknown): HTMLElement {
  const e = error instanceof ApiError ? error : null;
  return h(
    "div",
    { class: "alert", role: "alert", "data-code": e?.code ?? "ERROR" },
    e ? e.message : `Something went wrong: ${String(error)}`,
  );
}

/** Runs an action from a button: disables it meanwhile, shows a failure next to it. */
export function action(button: HTMLButtonElement, run: () => Promise<void>, errorSlot?: HTMLElement): void {
  button.addEventListener("click", async () => {
    button.disabled = true;
    errorSlot?.replaceChildren();
    try {
      await run();
    } catch (e) {
      if (errorSlot) errorSlot.replaceChildren(alertBox(e));
      else button.after(alertBox(e));
    } finally {
      button.disabled = false;
    }
  });
}
