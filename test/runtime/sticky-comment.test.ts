// The shared sticky comment: each action finds only its own comments by their marker.
import { describe, expect, it } from "@jest/globals";
import { findSticky, planSticky, stickyMarker } from "../../src/runtime/sticky-comment.js";

const run = "2026-03-02T10:00:00.000Z";

describe("sticky comments of several actions on one pull request", () => {
  const comments = [
    { id: 1, node_id: "a", html_url: "h1", body: `${stickyMarker("cost-report", run)}cost` },
    {
      id: 2,
      node_id: "b",
      html_url: "h2",
      body: `${stickyMarker("migration-check", run)}migrations`,
    },
    {
      id: 3,
      node_id: "c",
      html_url: "h3",
      body: `${stickyMarker("migration-check", run, "db2")}other db`,
    },
    {
      id: 4,
      node_id: "d",
      html_url: "h4",
      body: `<!-- shipgate:migration-checkX run-time="${run}" -->\nnot ours`,
    },
  ];

  it("finds each action's comment by its own marker, and its tag", () => {
    expect(findSticky("cost-report", comments).map((c) => c.id)).toEqual([1]);
    expect(findSticky("migration-check", comments).map((c) => [c.id, c.content])).toEqual([
      [2, "migrations"],
    ]);
    expect(findSticky("migration-check", comments, "db2").map((c) => c.id)).toEqual([3]);
  });

  it("updates an action's comment, and holds back a first one that is not material with the caller's reason", () => {
    const existing = findSticky("migration-check", comments);
    expect(
      planSticky({ existing, content: "new", runTime: run, behavior: "update", material: true }),
    ).toEqual({ action: "update", target: expect.objectContaining({ id: 2 }) });
    expect(
      planSticky({
        existing: [],
        content: "new",
        runTime: run,
        behavior: "update",
        material: false,
        immaterialReason: "nothing changed",
      }),
    ).toEqual({ action: "skip", reason: "nothing changed" });
  });
});
