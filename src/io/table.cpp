#include "xferval/io/table.hpp"
