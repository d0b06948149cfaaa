// A 5x7 bitmap font for labels on pictures: digits, letters (lower case drawn as upper case), space,
// . - _ % and a little more punctuation; any other character draws as '?'.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "tools/draw.h"

namespace oc::cli {

inline constexpr int kGlyphWidth = 5, kGlyphHeight = 7;
inline constexpr int kGlyphAdvance = kGlyphWidth + 1;  // a glyph and one blank column

// A glyph's rows, top to bottom; bit 4 is the leftmost column, bit 0 the rightmost.
using Glyph = std::array<uint8_t, kGlyphHeight>;

// Whether c has a glyph of its own (a lower-case letter counts: it shares its capital's).
bool has_glyph(char c);
// The glyph drawn for c: its own, its capital's, or '?'.
const Glyph& glyph(char c);

// The size of text drawn at `scale` (each font pixel a scale x scale square): chars x advance x
// scale wide (the last glyph's blank column included), glyph height x scale high.
int64_t text_width(std::string_view text, int scale);
int64_t text_height(int scale);

// Draws the glyphs' set pixels in `colour`, the text's top-left corner at (x, y), clipped to the
// image; the blank pixels are left as they are.
void draw_text(Tensor& image, int64_t x, int64_t y, std::string_view text, const Rgb& colour, int scale);

}  // namespace oc::cli
