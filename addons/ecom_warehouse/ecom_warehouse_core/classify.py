"""ABC classification by sales value (Pareto): the products making the first ``a_share`` of
the value are A, the next ones up to ``b_share`` B, the rest (and products without sales) C."""


def abc_classes(values, a_share=0.8, b_share=0.95):
    """``values``: {key: sales value over the period}. Returns {key: "a" | "b" | "c"}.

    A product is A when the cumulative value *before* it is below ``a_share`` of the total,
    so the best seller is always A even when it alone makes more than ``a_share``."""
    if not 0 < a_share <= b_share <= 1:
        raise ValueError("ABC shares must satisfy 0 < A share <= B share <= 1")
    total = sum(max(v, 0.0) for v in values.values())
    classes = {}
    running = 0.0
    for key, value in sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        value = max(value, 0.0)
        if total <= 0 or value <= 0:
            classes[key] = "c"
            continue
        before = running / total
        if before < a_share:
            classes[key] = "a"
        elif before < b_share:
            classes[key] = "b"
        else:
            classes[key] = "c"
        running += value
    return classes
