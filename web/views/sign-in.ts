/** Sign in with an API token (`npm start` prints a link that signs in; `npm run token` prints one). */
import { h } from "../dom.js";
import { setToken } from "../session.js";
import { show } from "../view.js";

export function signInView(onSignedIn: () => void): void {
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true });
  const form = h(
    "form",
    {},
    h("label", { for: "token" }, "API token"),
    h("p", { class: "hint", id: "token-hint" }, "`npm start` prints a link that signs you in, or run `npm run token`."),
    input,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in")),
  );
  input.setAttribute("aria-describedby", "token-hint");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    onSignedIn();
  });
  show("Sign in", h("div", { class: "card" }, form));
}
