/**
 * Gong's automation-rule webhooks, simulated (providers/gong.md §8): for each registered rule,
 * a call is announced once Gong has processed it (its content is ready on the SimClock), with
 * the payload `{callData, isPrivate, isTest: false}`, `callData` in the /v2/calls/extensive shape.
 * A rule with a key pair signs each delivery as Gong's JWT option does: `Authorization: <RS256
 * JWT>` with `webhook_url`, `body_sha256` (hex) and a five-minute `exp`. Calls already processed
 * when a rule is added are not announced (a rule acts on calls processed after it exists).
 */
import { createHash, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import type { GongCallData } from "../../providers/gong/schemas.js";

export interface GongWebhookRule {
  url: string;
  /** Signs deliveries with Gong's JWT header; null = the URL alone authenticates. */
  privateKey: KeyObject | null;
}

export interface GongWebhookDelivery {
  url: string;
  callId: string;
  status: number | null;
  error: string | null;
  sentAt: number;
  answeredAt: number | null;
}

export interface GongWebhookSource {
  calls(): GongCallData[];
  isProcessed(call: GongCallData): boolean;
}

export async function signedGongDelivery(rule: GongWebhookRule, body: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (rule.privateKey)
    headers.authorization = await new SignJWT({
      webhook_url: rule.url,
      body_sha256: createHash("sha256").update(body).digest("hex"),
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(rule.privateKey);
  return headers;
}

export function gongWebhookBody(call: GongCallData, isTest = false): string {
  return JSON.stringify({ callData: call, isPrivate: call.metaData?.isPrivate === true, isTest });
}

export class GongWebhooks {
  private readonly rules: GongWebhookRule[] = [];
  private readonly announced = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  /** Every delivery made, for tests and benches. */
  readonly deliveries: GongWebhookDelivery[] = [];

  constructor(
    private readonly source: GongWebhookSource,
    private readonly everyMs = 100,
  ) {}

  add(rule: GongWebhookRule): void {
    for (const call of this.source.calls())
      if (this.source.isProcessed(call)) this.announced.add(String(call.metaData?.id));
    this.rules.push(rule);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.everyMs);
      this.timer.unref();
    }
  }

  clear(): void {
    this.rules.length = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sends one call's delivery to every rule now (tests: replays, test payloads are built by hand). */
  async announce(call: GongCallData): Promise<GongWebhookDelivery[]> {
    return Promise.all(this.rules.map((rule) => this.send(rule, call)));
  }

  private async tick(): Promise<void> {
    for (const call of this.source.calls()) {
      const id = String(call.metaData?.id);
      if (this.announced.has(id) || !this.source.isProcessed(call)) continue;
      this.announced.add(id);
      void this.announce(call);
    }
  }

  private async send(rule: GongWebhookRule, call: GongCallData): Promise<GongWebhookDelivery> {
    const body = gongWebhookBody(call);
    const delivery: GongWebhookDelivery = {
      url: rule.url,
      callId: String(call.metaData?.id),
      status: null,
      error: null,
      sentAt: Date.now(),
      answeredAt: null,
    };
    this.deliveries.push(delivery);
    try {
      const res = await fetch(rule.url, { method: "POST", headers: await signedGongDelivery(rule, body), body });
      await res.arrayBuffer();
      delivery.status = res.status;
    } catch (e) {
      delivery.error = (e as Error).message;
    }
    delivery.answeredAt = Date.now();
    return delivery;
  }
}
