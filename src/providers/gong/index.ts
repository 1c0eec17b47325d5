export { createGongClient, createGongPacer, GONG_QUOTA } from "./client.js";
export { classifyAuthorizeError, createGongOAuth } from "./oauth.js";
