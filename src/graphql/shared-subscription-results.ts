/**
 * One execution per published event for all the subscribers that would get the same answer.
 *
 * GraphQL runs a subscription's selection once per event per subscriber: 500 browser tabs on one
 * integration's progress meant 500 executions of the same selection on the same event. Here a
 * subscription's event stream is mapped to results through a cache keyed by the event object
 * (the pubsub hands the same one to every subscriber of its topic in this process) and by what
 * the answer can depend on: the document, operation name and variables, and the viewer (user,
 * workspace, role — everything the resolvers read of the context that differs between
 * subscribers). Subscribers with the same key share one result object; everyone else executes
 * as before. Entries go with the event (a WeakMap).
 *
 * This is the "subscribe" of the GraphQL specification (graphql-js's `createSourceEventStream`,
 * then `execute` per event with the event as root value) with the per-event step shared; the
 * stream each subscriber gets is still its own, so the authorization re-checks
 * (subscription-auth.ts), error masking and unsubscribe apply per subscriber as before.
 */
import { createSourceEventStream, type DocumentNode, type ExecutionArgs, type ExecutionResult, execute } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "./context.js";

const documentIds = new WeakMap<DocumentNode, number>();
let lastDocumentId = 0;
const resultsByEvent = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

/** What the result of one event may depend on besides the event; null: not shared. */
function sharingKey(args: ExecutionArgs): string | null {
  const viewer = (args.contextValue as Context | undefined)?.viewer;
  if (!viewer) return null;
  // The parse cache hands every subscriber of the same text the same document; a document
  // parsed anew is a new key (correct, only not shared).
  let document = documentIds.get(args.document);
  if (document === undefined) {
    document = ++lastDocumentId;
    documentIds.set(args.document, document);
  }
  return JSON.stringify([
    document,
    args.operationName ?? null,
    args.variableValues ?? null,
    viewer.userId,
    viewer.workspaceId,
    viewer.role,
  ]);
}

function executeEvent(args: ExecutionArgs, key: string, event: unknown): Promise<ExecutionResult> {
  const run = () => Promise.resolve(execute({ ...args, rootValue: event }));
  if (typeof event !== "object" || event === null) return run();
  let results = resultsByEvent.get(event);
  if (!results) {
    results = new Map();
    resultsByEvent.set(event, results);
  }
  let result = results.get(key);
  if (!result) {
    result = run();
    results.set(key, result);
  }
  return result;
}

/** The source stream mapped to results; returning or throwing ends the source (the pubsub listener). */
function mapEvents(
  source: AsyncIterable<unknown>,
  toResult: (event: unknown) => Promise<ExecutionResult>,
): AsyncIterableIterator<ExecutionResult> {
  const events = source[Symbol.asyncIterator]();
  const close = async () => {
    await events.return?.();
    return { done: true as const, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const next = await events.next();
      if (next.done) return { done: true, value: undefined };
      try {
        return { done: false, value: await toResult(next.value) };
      } catch (error) {
        await close();
        throw error;
      }
    },
    return: close,
    async throw(error) {
      await close();
      throw error;
    },
  };
}

export function useSharedSubscriptionResults(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args) => {
        const key = sharingKey(args);
        const stream = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in stream)) return stream;
        return mapEvents(stream, (event) =>
          key === null ? Promise.resolve(execute({ ...args, rootValue: event })) : executeEvent(args, key, event),
        );
      });
    },
  };
}
