"""ZenML steps, one small job per module, grouped by stage; the sign-language logic they call
lives in `signbridge`. Importing a step module does no work beyond its own imports."""
