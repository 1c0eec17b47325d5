/**
 * Salesloft webhook subscriptions, simulated (providers/salesloft.md §9): a conversation that
 * becomes listed is delivered as `conversation_created`, and each later change of its
 * `updated_at` (transcript ready, AI content ready, an edit) as `conversation_updated`, with
 * `x-salesloft-event` and `x-salesloft-signature` (hex HMAC-SHA1 of the raw body keyed by the
 * subscription's callback_token). Conversations already listed when a subscription starts are
 * not delivered as created. A deleted conversation is delivered as `conversation_deleted` with
 * its id [I: the event type is inferred from Salesloft's `<object>_<created|updated|deleted>`
 * naming; providers/salesloft.md §9 lists created/updated only].
 */
import { createHmac } from "node:crypto";

export interface SalesloftSubscription {
  url: string;
  callbackToken: string;
}

export interface SalesloftWebhookDelivery {
  url: string;
  event: string;
  conversationId: string;
  status: number | null;
  sentAt: number;
}

export function signSalesloft(body: string, callbackToken: string): string {
  return createHmac("sha1", callbackToken).update(body).digest("hex");
}

export class SalesloftWebhooks {
  private readonly subscriptions: SalesloftSubscription[] = [];
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  readonly deliveries: SalesloftWebhookDelivery[] = [];

  /** `listed()`: conversations as the API shows them now (rendered, with their current updated_at). */
  constructor(private readonly listed: () => Record<string, unknown>[]) {}

  add(subscription: SalesloftSubscription): void {
    for (const conv of this.listed()) this.seen.set(String(conv.id), String(conv.updated_at));
    this.subscriptions.push(subscription);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), 100);
      this.timer.unref();
    }
  }

  clear(): void {
    this.subscriptions.length = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const listed = this.listed();
    const present = new Set(listed.map((conv) => String(conv.id)));
    for (const id of [...this.seen.keys()]) {
      if (present.has(id)) continue;
      this.seen.delete(id);
      for (const s of this.subscriptions) void this.send(s, "conversation_deleted", { id });
    }
    for (const conv of listed) {
      const id = String(conv.id);
      const before = this.seen.get(id);
      const now = String(conv.updated_at);
      if (before === now) continue;
      this.seen.set(id, now);
      for (const s of this.subscriptions)
        void this.send(s, before === undefined ? "conversation_created" : "conversation_updated", conv);
    }
  }

  private async send(s: SalesloftSubscription, event: string, conv: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify(conv);
    const delivery: SalesloftWebhookDelivery = {
      url: s.url,
      event,
      conversationId: String(conv.id),
      status: null,
      sentAt: Date.now(),
    };
    this.deliveries.push(delivery);
    try {
      const res = await fetch(s.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-salesloft-event": event,
          "x-salesloft-signature": signSalesloft(body, s.callbackToken),
        },
        body,
      });
      await res.arrayBuffer();
      delivery.status = res.status;
    } catch {
      delivery.status = null;
    }
  }
}
