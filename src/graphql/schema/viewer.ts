import { builder } from "../builder.js";
import { viewerWorkspace } from "../context.js";

export const RoleEnum = builder.enumType("Role", { values: ["ADMIN", "MEMBER"] as const });

export const UserType = builder.prismaNode("User", {
  id: { field: "id" },
  // A missing or foreign id resolves node(id) to null (the default, findUniqueOrThrow, would fail).
  nullable: true,
  findUnique: (id, ctx) => ({ id, workspaceId: viewerWorkspace(ctx) }),
  fields: (t) => ({
    email: t.exposeString("email"),
    name: t.exposeString("name"),
    role: t.expose("role", { type: RoleEnum }),
  }),
});

export const WorkspaceType = builder.prismaNode("Workspace", {
  id: { field: "id" },
  // A missing or foreign id resolves node(id) to null (the default, findUniqueOrThrow, would fail).
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [{ id: viewerWorkspace(ctx) }] }),
  fields: (t) => ({
    name: t.exposeString("name"),
    users: t.relation("users", { query: { orderBy: { email: "asc" } } }),
  }),
});

const Viewer = builder.objectRef<{ userId: string; workspaceId: string }>("Viewer").implement({
  description: "The signed-in user and their workspace.",
  fields: (t) => ({
    user: t.prismaField({
      type: "User",
      resolve: (query, viewer, _args, ctx) =>
        ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: viewer.userId } }),
    }),
    workspace: t.prismaField({
      type: "Workspace",
      resolve: (query, viewer, _args, ctx) =>
        ctx.prisma.workspace.findUniqueOrThrow({ ...query, where: { id: viewer.workspaceId } }),
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: Viewer,
    resolve: (_root, _args, ctx) => ({ userId: ctx.viewer!.userId, workspaceId: ctx.viewer!.workspaceId }),
  }),
);
