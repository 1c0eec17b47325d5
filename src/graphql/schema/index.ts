import { lexicographicSortSchema } from "graphql";
import { builder } from "../builder.js";
import "./viewer.js";
import "./crm.js";
import "./deals.js";
import "./calls.js";
import "./search.js";
import "./integrations.js";
import "./webhooks.js";
import "./backfill-estimates.js";
import "./purges.js";
import "./privacy.js";

export const schema = lexicographicSortSchema(builder.toSchema());
