export type { ClariClient, ClariClientOptions } from "./client.js";
export { CLARI_QUOTA, createClariClient, createClariPacer, verifyClariCredentials } from "./client.js";
