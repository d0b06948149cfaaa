// Reading homography files: OpenCV XML / YAML matrices and plain text (see homography_file.h).
#include "train/io/homography_file.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace oc {
namespace {

bool is_separator(char c, bool commas) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || (commas && c == ',');
}

// The numbers in `text`, separated by white space (and commas when `commas`); anything that is not a
// whole finite number is an error naming the file and `what`.
std::vector<double> parse_numbers(const std::string& text, bool commas, const std::string& path, const char* what) {
  std::vector<double> out;
  size_t i = 0;
  while (i < text.size()) {
    if (is_separator(text[i], commas)) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !is_separator(text[end], commas)) ++end;
    const std::string token = text.substr(i, end - i);
    double v = 0;
    // from_chars takes no leading '+'; OpenCV never writes one, but a hand-written file may.
    const char* first = token.data() + (token[0] == '+' ? 1 : 0);
    const auto r = std::from_chars(first, token.data() + token.size(), v);
    OC_CHECK(r.ec == std::errc() && r.ptr == token.data() + token.size(), path, ": ", what, ": \"", token,
             "\" is not a number");
    OC_CHECK(std::isfinite(v), path, ": ", what, ": \"", token, "\" is not a finite number");
    out.push_back(v);
    i = end;
  }
  return out;
}

// The one occurrence of `needle` in `text`; none or several is an error naming the file.
size_t find_once(const std::string& text, const std::string& needle, const std::string& path) {
  const size_t at = text.find(needle);
  OC_CHECK(at != std::string::npos, path, ": no ", needle, " found");
  OC_CHECK(text.find(needle, at + 1) == std::string::npos, path, ": more than one ", needle,
           " (expected exactly one matrix)");
  return at;
}

// The text between <tag> and </tag> inside `element`.
std::string xml_field(const std::string& element, const std::string& tag, const std::string& path) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const size_t a = element.find(open);
  OC_CHECK(a != std::string::npos, path, ": the opencv-matrix has no ", open);
  const size_t b = element.find(close, a);
  OC_CHECK(b != std::string::npos, path, ": ", open, " is not closed by ", close);
  return element.substr(a + open.size(), b - a - open.size());
}

// The value after "key:" on its line, inside `block` (the YAML matrix's lines).
std::string yaml_field(const std::string& block, const std::string& key, const std::string& path) {
  const size_t a = block.find(key + ":");
  OC_CHECK(a != std::string::npos, path, ": the opencv-matrix has no ", key, ":");
  const size_t b = block.find('\n', a);
  return block.substr(a + key.size() + 1, b == std::string::npos ? std::string::npos : b - a - key.size() - 1);
}

std::string trimmed(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && is_separator(s[a], false)) ++a;
  while (b > a && is_separator(s[b - 1], false)) --b;
  return s.substr(a, b - a);
}

// rows, cols and dt of an OpenCV matrix: 3, 3 and d or f.
void check_opencv_header(const std::string& rows, const std::string& cols, const std::string& dt,
                         const std::string& path) {
  OC_CHECK(trimmed(rows) == "3" && trimmed(cols) == "3", path, ": expected a 3x3 matrix, got rows ", trimmed(rows),
           ", cols ", trimmed(cols));
  OC_CHECK(trimmed(dt) == "d" || trimmed(dt) == "f", path, ": expected dt d or f (a real matrix), got \"", trimmed(dt),
           "\"");
}

std::vector<double> read_opencv_xml(const std::string& text, const std::string& path) {
  const size_t type_at = find_once(text, "type_id=\"opencv-matrix\"", path);
  const size_t open = text.rfind('<', type_at);
  OC_CHECK(open != std::string::npos, path, ": malformed XML before type_id=\"opencv-matrix\"");
  size_t name_end = open + 1;
  while (name_end < type_at && !is_separator(text[name_end], false)) ++name_end;
  const std::string name = text.substr(open + 1, name_end - open - 1);
  const size_t close = text.find("</" + name + ">", type_at);
  OC_CHECK(close != std::string::npos, path, ": the matrix <", name, "> is not closed");
  const std::string element = text.substr(type_at, close - type_at);
  check_opencv_header(xml_field(element, "rows", path), xml_field(element, "cols", path),
                      xml_field(element, "dt", path), path);
  return parse_numbers(xml_field(element, "data", path), false, path, "<data>");
}

std::vector<double> read_opencv_yaml(const std::string& text, const std::string& path) {
  const std::string block = text.substr(find_once(text, "!!opencv-matrix", path));
  check_opencv_header(yaml_field(block, "rows", path), yaml_field(block, "cols", path), yaml_field(block, "dt", path),
                      path);
  const size_t data = block.find("data:");
  OC_CHECK(data != std::string::npos, path, ": the opencv-matrix has no data:");
  const size_t open = block.find_first_not_of(" \t", data + 5);
  OC_CHECK(open != std::string::npos && block[open] == '[', path, ": data: must be followed by [ numbers ]");
  const size_t close = block.find(']', open);
  OC_CHECK(close != std::string::npos, path, ": data: [ is not closed by ]");
  return parse_numbers(block.substr(open + 1, close - open - 1), true, path, "data");
}

}  // namespace

Homography read_homography_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  OC_CHECK(f.good(), path, ": cannot open the homography file");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  const std::string start = trimmed(text).substr(0, 16);
  std::vector<double> values;
  if (start.rfind("<?xml", 0) == 0 || start.rfind("<opencv_storage", 0) == 0)
    values = read_opencv_xml(text, path);
  else if (start.rfind("%YAML", 0) == 0)
    values = read_opencv_yaml(text, path);
  else
    values = parse_numbers(text, false, path, "plain text");
  OC_CHECK(values.size() == 9, path, ": expected the 9 numbers of a 3x3 matrix, got ", values.size());
  Homography h;
  for (int k = 0; k < 9; ++k) h.m[k] = values[k];
  try {
    homography_inverse(h);  // only the check: a singular matrix maps no image onto another
  } catch (const Error& e) {
    OC_FAIL(path, ": ", e.what());
  }
  return h;
}

}  // namespace oc
