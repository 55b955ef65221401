#include "xferval/stats/moments.hpp"
