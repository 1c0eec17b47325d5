/**
 * Who is looking: read once after sign-in (viewer.role). Members get a read-only client —
 * no Connect, Sync now, Retry or Disconnect — so they are never refused after clicking.
 */
import type { AppViewerQuery } from "./generated/graphql.js";

let viewer: AppViewerQuery["viewer"] | null = null;

export function setViewer(value: AppViewerQuery["viewer"] | null): void {
  viewer = value;
  document.body.dataset.role = value?.user.role ?? "";
}

export const isAdmin = () => viewer?.user.role === "ADMIN";
