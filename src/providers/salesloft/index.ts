export {
  createSalesloftClient,
  createSalesloftPacer,
  SALESLOFT_QUOTA,
  type SalesloftClientOptions,
} from "./client.js";
export { classifyAuthorizeError, createSalesloftOAuth, type SalesloftOAuthOptions } from "./oauth.js";
