/** The operations the bench sends, taken from the ones the tests pin (test/operations). */
import { readFileSync } from "node:fs";
import { type OperationDefinitionNode, parse, print } from "graphql";

function operation(file: string, name: string): string {
  const source = readFileSync(new URL(`../../test/operations/${file}`, import.meta.url), "utf8");
  const op = parse(source).definitions.find(
    (d): d is OperationDefinitionNode => d.kind === "OperationDefinition" && d.name?.value === name,
  );
  if (!op) throw new Error(`test/operations/${file} has no operation ${name}`);
  return print(op);
}

export const DEAL_PAGE = operation("hot.graphql", "HotDealPage");
export const DEAL_LIST = operation("hot.graphql", "HotDealList");
/** What the set-up wizard subscribes to. */
export const SYNC_PROGRESS = operation("wizard.graphql", "WizardSyncProgress");
