"""Named ids of the tiny test ontology (tests/data/tiny.json), in one place."""

SKIN_DISEASE = "TINY:0000001"  # category
INFLAMMATORY = "TINY:0000002"  # group
PSORIASIS = "TINY:0000003"  # condition (depth 3)
GUTTATE_PSORIASIS = "TINY:0000004"  # depth 4
NEOPLASM = "TINY:0000005"  # category
BENIGN = "TINY:0000006"  # group
MALIGNANT = "TINY:0000007"  # group
MELANOCYTIC_BENIGN = "TINY:0000008"  # subgroup
MELANOCYTIC_MALIGNANT = "TINY:0000009"  # subgroup
NEVUS = "TINY:0000010"  # leaf
MELANOMA = "TINY:0000011"  # leaf
BCC = "TINY:0000012"  # leaf under malignant
PSORIATIC_NAIL_DYSTROPHY = "TINY:0000013"  # two parents: psoriasis and nail disease
NAIL_DISEASE = "TINY:0000014"  # category

PAPULE = "TINY:0100001"
SCALE = "TINY:0100002"
PIGMENT_NETWORK = "TINY:0100003"

ITCH = "TINY:0200001"
FACE = "TINY:0200002"
