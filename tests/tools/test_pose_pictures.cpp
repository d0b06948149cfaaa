// People drawn on noise: a limb colours the pixels along its segment and nothing farther away;
// unlabelled, NaN, far and infinite joints; and the segment clipping every picture tool shares.
// Every picture sits between sentinel bytes that must stay untouched.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "tests/tools/guarded_picture.h"
#include "tools/draw.h"
#include "tools/pose_pictures.h"

using namespace oc;
using namespace oc::cli;

namespace {

using Picture = test::GuardedPicture;

const Skeleton& two_joints() {
  static const Skeleton s{{"a", "b"}, {{0, 1}}, {}};
  return s;
}

Person person(Keypoint a, Keypoint b) {
  Person p;
  p.keypoints = {a, b};
  return p;
}

// Distance from the pixel centre (x + 0.5, y + 0.5) to the segment a-b.
double distance_to_segment(int64_t x, int64_t y, double ax, double ay, double bx, double by) {
  const double px = x + 0.5 - ax, py = y + 0.5 - ay, dx = bx - ax, dy = by - ay;
  const double t = std::clamp((px * dx + py * dy) / (dx * dx + dy * dy), 0.0, 1.0);
  return std::hypot(px - t * dx, py - t * dy);
}

int64_t changed_pixels(const Picture& p) {
  int64_t n = 0;
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x) n += p.at(x, y) != p.was(x, y);
  return n;
}

}  // namespace

TEST_CASE("draw: clip_segment keeps the part inside the box", "[pose_pictures]") {
  double ax = -10, ay = 5, bx = 10, by = 5;
  REQUIRE(clip_segment(ax, ay, bx, by, 0, 0, 4, 10));
  CHECK(ax == 0);
  CHECK(bx == 4);
  CHECK(ay == 5);
  CHECK(by == 5);

  ax = 1, ay = 1, bx = 3, by = 9;  // wholly inside: unchanged
  REQUIRE(clip_segment(ax, ay, bx, by, 0, 0, 4, 10));
  CHECK((ax == 1 && ay == 1 && bx == 3 && by == 9));

  ax = -2, ay = 0, bx = 2, by = 4;  // the diagonal enters at (0, 2)
  REQUIRE(clip_segment(ax, ay, bx, by, 0, 0, 4, 10));
  CHECK(ax == Approx(0));
  CHECK(ay == Approx(2));
  CHECK((bx == 2 && by == 4));

  ax = 5, ay = -1, bx = 5, by = 20;  // vertical, right of the box
  CHECK_FALSE(clip_segment(ax, ay, bx, by, 0, 0, 4, 10));
  ax = -5, ay = 20, bx = 20, by = 11;  // passes above-right of the corner (4, 10)
  CHECK_FALSE(clip_segment(ax, ay, bx, by, 0, 0, 4, 10));
}

TEST_CASE("draw: clip_segment rejects NaN ends and clips infinite ones", "[pose_pictures]") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  double ax = 1, ay = nan, bx = 3, by = 3;
  CHECK_FALSE(clip_segment(ax, ay, bx, by, 0, 0, 4, 10));
  ax = 1, ay = 5, bx = inf, by = 5;
  REQUIRE(clip_segment(ax, ay, bx, by, 0, 0, 4, 10));
  CHECK((ax == 1 && ay == 5 && by == 5));
  CHECK(bx == Approx(4).margin(1e-9));
  ax = -inf, ay = 5, bx = inf, by = 5;
  REQUIRE(clip_segment(ax, ay, bx, by, 0, 0, 4, 10));
  CHECK(ax == Approx(0).margin(1e-9));
  CHECK(bx == Approx(4).margin(1e-9));
}

TEST_CASE("pose_pictures: a limb colours the pixels along it and no others", "[pose_pictures]") {
  Picture p(30, 40, 11);
  const double ax = 6.5, ay = 9.5, bx = 31.5, by = 21.5;  // a slanted limb, both joints inside
  draw_people(p.image, {person({float(ax), float(ay), 2}, {float(bx), float(by), 2})}, two_joints());
  const Rgb limb = distinct_colours()[0], joint = distinct_colours()[0], white{255, 255, 255};
  int64_t on_limb = 0;
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x) {
      const double d = distance_to_segment(x, y, ax, ay, bx, by);
      const double to_joint = std::min(std::hypot(x + 0.5 - ax, y + 0.5 - ay), std::hypot(x + 0.5 - bx, y + 0.5 - by));
      INFO("pixel " << x << "," << y << " at " << d << " from the limb, " << to_joint << " from a joint");
      if (to_joint <= 1.5) CHECK(p.at(x, y) == joint);              // the joint's centre
      else if (to_joint > 1.7 && to_joint <= 2.4) CHECK(p.at(x, y) == white);  // its ring
      else if (to_joint > 2.6 && d <= 1.0) {                        // the limb, away from the joints
        CHECK(p.at(x, y) == limb);
        ++on_limb;
      } else if (to_joint > 2.6 && d > 1.3) CHECK(p.at(x, y) == p.was(x, y));  // untouched
    }
  CHECK(on_limb > 40);  // about two pixels across a 30-pixel limb, less the joints
  CHECK(p.sentinels_intact());
}

TEST_CASE("pose_pictures: unlabelled and NaN joints draw no limb", "[pose_pictures]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Picture p(30, 40, 12);
  draw_people(p.image, {person({10.5f, 10.5f, 0}, {30.5f, 20.5f, 2}), person({10.5f, 10.5f, 2}, {nan, 20.5f, 2})},
              two_joints());
  // Only the two labelled finite joints are drawn: discs of radius 2.5 hold at most 21 pixels each.
  const int64_t changed = changed_pixels(p);
  CHECK(changed > 0);
  CHECK(changed <= 2 * 21);
  for (int64_t x = 14; x <= 27; ++x) CHECK(p.at(x, 15) == p.was(x, 15));  // midway between them
  CHECK(p.sentinels_intact());
}

TEST_CASE("pose_pictures: a limb to a far or infinite joint is drawn up to the border", "[pose_pictures]") {
  for (const float far : {1e30f, std::numeric_limits<float>::infinity()}) {
    INFO("far joint at x = " << far);
    Picture p(20, 32, 13);
    draw_people(p.image, {person({8.5f, 10.5f, 2}, {far, 10.5f, 2})}, two_joints());
    const Rgb limb = distinct_colours()[0];
    for (int64_t x = 12; x < p.W; ++x) CHECK(p.at(x, 10) == limb);  // along the row to the right border
    for (int64_t x = 0; x < 5; ++x) CHECK(p.at(x, 10) == p.was(x, 10));  // behind the near joint
    for (int64_t x = 0; x < p.W; ++x) CHECK(p.at(x, 4) == p.was(x, 4));  // rows away from the limb
    CHECK(p.sentinels_intact());
  }
}
