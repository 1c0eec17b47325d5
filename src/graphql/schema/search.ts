import { visibleCallSql } from "../../privacy/visibility.js";
import { builder } from "../builder.js";
import { badInput } from "../errors.js";
import { localId } from "../ids.js";
import { bounded } from "../limits.js";

interface Hit {
  segmentId: string;
  rank: number;
  headline: string;
}

const TranscriptHit = builder.objectRef<Hit>("TranscriptHit").implement({
  description: "A transcript segment matching a search, with its call and deal.",
  fields: (t) => ({
    rank: t.exposeFloat("rank"),
    headline: t.exposeString("headline", { description: "The segment text with matches wrapped in «»." }),
    segment: t.prismaField({
      type: "TranscriptSegment",
      resolve: (query, hit, _args, ctx) =>
        ctx.prisma.transcriptSegment.findUniqueOrThrow({ ...query, where: { id: hit.segmentId } }),
    }),
  }),
});

builder.queryField("searchTranscripts", (t) =>
  t.field({
    type: [TranscriptHit],
    description: "Full-text search over the workspace's transcripts (PostgreSQL, english), best matches first.",
    args: {
      query: t.arg.string({ required: true, description: 'Web-search syntax: words, "phrases", -exclusions, OR.' }),
      first: t.arg.int({ required: false, defaultValue: 20, ...bounded(100, "How many hits.") }),
      dealId: t.arg.id({ required: false }),
      includeDeletedUpstream: t.arg.boolean({
        required: false,
        description: "Also search calls deleted in the provider; left out by default.",
      }),
    },
    resolve: async (_root, args, ctx) => {
      const q = args.query.trim();
      if (q.length === 0 || q.length > 500) throw badInput("query must be 1 to 500 characters.", "query");
      const first = args.first ?? 20;
      if (first < 1) throw badInput("first must be between 1 and 100.", "first");
      const dealId = args.dealId
        ? (localId(String(args.dealId), "Deal") ?? "00000000-0000-0000-0000-000000000000")
        : null;
      return ctx.prisma.$queryRaw<Hit[]>`
        SELECT s.id AS "segmentId",
               ts_rank(s.tsv, q)::float8 AS rank,
               ts_headline('english', s.text, q, 'StartSel=«, StopSel=», HighlightAll=true') AS headline
          FROM "TranscriptSegment" s
          JOIN "Call" c ON c.id = s."callId",
               websearch_to_tsquery('english', ${q}) q
         WHERE ${visibleCallSql(ctx.viewer, "c", { includeDeletedUpstream: args.includeDeletedUpstream ?? false })}
           AND s.tsv @@ q
           AND (${dealId}::uuid IS NULL OR EXISTS (SELECT 1 FROM "CallDealLink" l
                                                    WHERE l."callId" = c.id AND l."dealId" = ${dealId}::uuid))
         ORDER BY rank DESC, c."startedAt" DESC, s.position
         LIMIT ${first}`;
    },
  }),
);
