// The warnings and notices a cost mode hands back to its action entry, which reports them.

export interface Notice {
  level: "warning" | "notice";
  message: string;
}
