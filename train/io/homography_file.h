// Homography files: the 3x3 matrix that maps one image's pixels to another's, as OpenCV's
// FileStorage writes it (XML or YAML, e.g. H1to3p.xml of OpenCV's sample data) or as 9 plain numbers
// (HPatches' H_1_2 files).
#pragma once
#include <string>

#include "train/data/homography.h"

namespace oc {

// The format is told by the content:
// - OpenCV XML: <?xml ...?><opencv_storage><NAME type_id="opencv-matrix"><rows>3</rows><cols>3</cols>
//   <dt>d</dt><data> 9 numbers </data></NAME></opencv_storage> (dt d or f);
// - OpenCV YAML: %YAML:1.0 ... NAME: !!opencv-matrix with rows: 3, cols: 3, dt: d|f, data: [ 9 numbers ];
// - otherwise plain text: exactly 9 numbers separated by white space, row-major.
// The file must hold exactly one matrix. Not 3x3, a missing or extra number, a non-finite one, or a
// singular matrix is an oc::Error naming the file. The matrix is returned as written (not rescaled).
Homography read_homography_file(const std::string& path);

}  // namespace oc
