// Anchor translation unit for the header-only models (keeps the library non-empty).
#include "models/lif.h"
#include "models/poisson.h"
