/**
 * Webhooks in `npm start`: the embedded simulators deliver to callsync as the real providers do
 * once an admin has registered callsync's webhook URL with them. Here the demo does the admin's
 * part: every webhook endpoint an admin enables (enableWebhook) is registered with its simulator —
 * a Gong automation rule for the URL (unsigned: the URL is the secret; a demo has no Gong key
 * pair, so leave the public key unset), a Salesloft subscription with the callback token. A new
 * Gong call then appears every `newCallEveryMs` (a copy of a demo call, already processed), so
 * the simulator announces it and the call is readable in seconds without a sync.
 */
import type { Runtime } from "../runtime.js";
import type { DemoSimulators } from "./simulators.js";

export interface DemoWebhookOptions {
  /** How often enabled endpoints are looked for. */
  pollMs?: number;
  /** A new Gong call appears this often (0 = never). */
  newCallEveryMs?: number;
}

export function wireDemoWebhooks(runtime: Runtime, sims: DemoSimulators, options: DemoWebhookOptions = {}): () => void {
  const registered = new Set<string>();
  const { prisma, webhooks, log } = runtime.services;
  const register = async () => {
    const endpoints = await prisma.webhookEndpoint.findMany({
      include: { integration: { select: { provider: true } } },
    });
    for (const e of endpoints) {
      const key = `${e.id}:${e.rotatedAt.getTime()}`;
      if (registered.has(key)) continue;
      registered.add(key);
      const { token, secret } = webhooks.open(e.integrationId, e.sealed);
      const url = webhooks.urlFor(token);
      if (e.integration.provider === "GONG") sims.gong.webhooks.add({ url, privateKey: null });
      else if (e.integration.provider === "SALESLOFT") sims.salesloft.webhooks.add({ url, callbackToken: secret });
      else continue;
      log.info({ provider: e.integration.provider }, "demo: webhook registered with the simulator");
    }
  };
  let n = 0;
  const newGongCall = () => {
    const calls = sims.gong.dataset.calls;
    const template = calls[n % calls.length];
    if (!template) return;
    const call = structuredClone(template);
    const id = String(9_100_000_000_000_000_000n + BigInt(Date.now()));
    // Ended long enough ago that the simulator lists it and has its content: it is announced now.
    const started = Date.now() - sims.gong.switches.contentAfterMs - 3_600_000;
    call.metaData = { ...call.metaData, id, title: `New demo call ${++n}`, started: new Date(started).toISOString() };
    calls.push(call);
  };
  const timers = [
    setInterval(
      () => void register().catch((err: unknown) => log.warn({ err }, "demo webhook registration")),
      options.pollMs ?? 2_000,
    ),
  ];
  if ((options.newCallEveryMs ?? 120_000) > 0) timers.push(setInterval(newGongCall, options.newCallEveryMs ?? 120_000));
  for (const t of timers) t.unref();
  void register().catch(() => {});
  return () => {
    for (const t of timers) clearInterval(t);
  };
}
