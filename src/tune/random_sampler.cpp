#include <cmath>
#include <limits>

#include "xferval/tune/sampler.hpp"

namespace xferval::tune {

namespace {
uint64_t fresh_seed() { return std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}(); }
}  // namespace

RandomSampler::RandomSampler(std::optional<uint64_t> seed) : rng_(seed ? *seed : fresh_seed()) {}

double RandomSampler::sample(Rng& rng, const Distribution& distribution) {
  if (auto c = std::get_if<CategoricalDistribution>(&distribution)) {
    // Optuna one-hot encodes the choice and takes the argmax of uniform draws: a uniform index.
    size_t best = 0;
    double best_draw = -1;
    for (size_t i = 0; i < c->choices.size(); ++i) {
      double draw = rng.uniform();
      if (draw > best_draw) best_draw = draw, best = i;
    }
    return static_cast<double>(best);
  }
  if (auto f = std::get_if<FloatDistribution>(&distribution)) {
    bool single = is_single(distribution);
    if (f->log) {
      double x = std::exp(rng.uniform(std::log(f->low), std::log(f->high)));
      return single ? x : std::min(x, std::nextafter(f->high, -std::numeric_limits<double>::infinity()));
    }
    if (f->step) {
      double s = *f->step;
      double x = rng.uniform(f->low - 0.5 * s, f->high + 0.5 * s);
      return std::clamp(std::nearbyint((x - f->low) / s) * s + f->low, f->low, f->high);
    }
    double x = rng.uniform(f->low, f->high);
    return single ? x : std::min(x, std::nextafter(f->high, -std::numeric_limits<double>::infinity()));
  }
  const auto& i = std::get<IntDistribution>(distribution);
  double low = static_cast<double>(i.low), high = static_cast<double>(i.high),
         step = static_cast<double>(i.step);
  if (i.log) {
    double x = rng.uniform(std::log(low - 0.5), std::log(high + 0.5));
    return std::clamp(std::nearbyint(std::exp(x)), low, high);
  }
  double x = rng.uniform(low - 0.5 * step, high + 0.5 * step);
  return std::clamp(std::nearbyint((x - low) / step) * step + low, low, high);
}

double RandomSampler::sample_independent(const SamplerContext&, const FrozenTrial&, const std::string&,
                                         const Distribution& distribution) {
  return sample(rng_, distribution);
}

}  // namespace xferval::tune
