#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "array_test_util.hpp"
#include "test_support.hpp"

namespace xferval::testing {
namespace {

// PIL helpers: save() writes an image and dumps what PIL decodes from the file.
std::string pil_python(const TempDir& dir, const std::string& body) {
  return python_for(dir, R"PY(
import os
from PIL import Image
rng = np.random.default_rng(8)
def save(relative, pixels, **options):
    path = os.path.join(OUT, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path, **options)
    decoded = Image.open(path)
    dump(relative, np.asarray(decoded.convert('L' if decoded.mode == 'L' else 'RGB')))
def noise(*shape):
    return rng.integers(0, 256, shape, dtype=np.uint8)
def smooth(h, w):
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // (w - 1), y * 255 // (h - 1), (x + y) * 255 // (w + h - 2)], axis=-1)
    return np.clip(rgb + rng.integers(-6, 7, rgb.shape), 0, 255).astype(np.uint8)
)PY" + body);
}

// Values of every image, in the reader's order (the dumps name each image by its relative path).
std::vector<double> expected_values(const std::vector<NumpyArray>& dumps, const ImageFolder& folder,
                                    const TempDir& dir) {
  std::vector<double> values;
  for (const std::string& file : folder.files) {
    std::string relative = std::filesystem::path(file).lexically_relative(dir.path()).string();
    auto found =
        std::find_if(dumps.begin(), dumps.end(), [&](const NumpyArray& a) { return a.name == relative; });
    EXPECT_NE(found, dumps.end()) << relative;
    if (found != dumps.end()) values.insert(values.end(), found->values.begin(), found->values.end());
  }
  return values;
}

TEST(ImageFolder, GreyPngsEqualPilAndClassesFollowFolders) {
  TempDir dir;
  std::vector<NumpyArray> dumps = parse_dumps(run_python(pil_python(dir, R"PY(
for name in ['dog/img2.png', 'dog/img10.png', 'cat/b.PNG', 'cat/a.png']:
    save(name, noise(4, 5))
open(OUT + '/cat/.DS_Store', 'wb').write(b'\0junk')
os.makedirs(OUT + '/.cache')
open(OUT + '/README.txt', 'w').write('loose files beside the class folders are ignored')
)PY")));
  ImageFolder folder = open_image_folder(dir.path().string());
  EXPECT_EQ(folder.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(folder.labels, (std::vector<int32_t>{0, 0, 1, 1}));
  std::vector<std::string> files;
  for (const std::string& file : folder.files)
    files.push_back(std::filesystem::path(file).filename().string());
  EXPECT_EQ(files, (std::vector<std::string>{"a.png", "b.PNG", "img10.png", "img2.png"}));
  EXPECT_EQ(folder.images->shape(), (std::vector<int64_t>{4, 4, 5, 1}));
  EXPECT_EQ(folder.images->dtype(), "uint8");
  std::vector<double> expected = expected_values(dumps, folder, dir);
  expect_values(read_all(*folder.images, 3), expected, "grey images");
  folder.images->rewind();
  expect_values(read_all(*folder.images, 1), expected, "grey images after rewind");
}

TEST(ImageFolder, RgbPngsEqualPilAndGreyFirstImageMakesGrey) {
  TempDir dir;
  std::vector<NumpyArray> dumps = parse_dumps(run_python(pil_python(dir, R"PY(
save('rgb/one/a.png', noise(6, 3, 3))
save('rgb/two/b.png', noise(6, 3, 3))
rgba = noise(6, 3, 4)
rgba[..., 3] = 255
Image.fromarray(rgba).save(OUT + '/rgb/two/c.png')
dump('rgb/two/c.png', rgba[..., :3])
save('grey/one/a.png', noise(2, 2))
save('grey/one/b.png', np.full((2, 2, 3), 77, dtype=np.uint8))
)PY")));
  ImageFolder rgb = open_image_folder((dir / "rgb").string());
  EXPECT_EQ(rgb.images->shape(), (std::vector<int64_t>{3, 6, 3, 3}));
  std::vector<double> expected;
  for (const char* name : {"rgb/one/a.png", "rgb/two/b.png", "rgb/two/c.png"}) {
    auto found =
        std::find_if(dumps.begin(), dumps.end(), [&](const NumpyArray& a) { return a.name == name; });
    ASSERT_NE(found, dumps.end());
    expected.insert(expected.end(), found->values.begin(), found->values.end());
  }
  expect_values(read_all(*rgb.images, 2), expected, "rgb images");

  ImageFolder grey = open_image_folder((dir / "grey").string());
  EXPECT_EQ(grey.images->shape(), (std::vector<int64_t>{2, 2, 2, 1}));
  std::vector<double> values = read_all(*grey.images, 2);
  ASSERT_EQ(values.size(), 8u);
  EXPECT_EQ(std::vector<double>(values.begin() + 4, values.end()), std::vector<double>(4, 77.0));
}

TEST(ImageFolder, JpegsAreCloseToPil) {
  TempDir dir;
  std::vector<NumpyArray> dumps = parse_dumps(run_python(pil_python(dir, R"PY(
save('photos/x/a.jpg', smooth(16, 24), quality=92)
save('photos/y/b.JPEG', smooth(16, 24), quality=75)
)PY")));
  ImageFolder folder = open_image_folder((dir / "photos").string());
  EXPECT_EQ(folder.images->shape(), (std::vector<int64_t>{2, 16, 24, 3}));
  std::vector<double> actual = read_all(*folder.images, 1);
  std::vector<double> expected = expected_values(dumps, folder, dir);
  ASSERT_EQ(actual.size(), expected.size());
  double largest = 0, total = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    largest = std::max(largest, std::abs(actual[i] - expected[i]));
    total += std::abs(actual[i] - expected[i]);
  }
  std::cout << "  JPEG vs PIL: max diff " << largest << ", mean diff "
            << total / static_cast<double>(actual.size()) << "\n";
  EXPECT_TRUE(largest <= 8 || total / static_cast<double>(actual.size()) < 1)
      << "max diff " << largest << ", mean diff " << total / static_cast<double>(actual.size());
}

TEST(ImageFolder, ContentHashCoversPathsAndBytes) {
  TempDir one, two;
  const char* body = R"PY(
rng = np.random.default_rng(1)
save('c/a.png', noise(3, 3))
save('d/b.png', noise(3, 3))
)PY";
  run_python(pil_python(one, body));
  run_python(pil_python(two, body));
  uint64_t first = open_image_folder(one.path().string()).images->content_hash();
  EXPECT_EQ(open_image_folder(two.path().string()).images->content_hash(), first);
  std::filesystem::rename(two / "d", two / "e");
  uint64_t renamed = open_image_folder(two.path().string()).images->content_hash();
  EXPECT_NE(renamed, first);
  std::string bytes = read_file(two / "e/b.png");
  bytes.back() ^= 1;
  two.write("e/b.png", bytes);
  EXPECT_NE(open_image_folder(two.path().string()).images->content_hash(), renamed);
}

TEST(ImageFolder, ZeroByteImageIsAnError) {
  TempDir dir;
  run_python(pil_python(dir, "save('cat/a.png', noise(3, 3))\n"));
  dir.write("cat/b.png", "");
  expect_input_error([&] { open_image_folder(dir.path().string()); }, dir.path().string(), "file cat/b.png",
                     {"empty file (0 bytes)"});
}

TEST(ImageFolder, NonImageFileIsAnError) {
  TempDir dir;
  run_python(pil_python(dir, "save('cat/a.png', noise(3, 3))\n"));
  dir.write("cat/notes.txt", "a cat\n");
  expect_input_error([&] { open_image_folder(dir.path().string()); }, dir.path().string(),
                     "file cat/notes.txt", {"not a PNG or JPEG image"});
}

TEST(ImageFolder, ImageOfAnotherSizeNamesBothImages) {
  TempDir dir;
  run_python(pil_python(dir, "save('cat/a.png', noise(4, 5))\nsave('dog/b.png', noise(4, 7))\n"));
  ImageFolder folder = open_image_folder(dir.path().string());
  std::vector<double> values;
  EXPECT_EQ(folder.images->read(1, values), 1u);
  expect_input_error(
      [&] { folder.images->read(1, values); }, dir.path().string(), "file dog/b.png",
      {"the image is 7x4 pixels (width x height) but the first image, cat/a.png, is 5x4 pixels"});
}

TEST(ImageFolder, CorruptImageIsReportedWhenDecoded) {
  TempDir dir;
  run_python(pil_python(dir, "save('cat/a.png', noise(3, 3))\n"));
  dir.write("cat/b.png", "\x89PNG\r\n\x1a\n this is not really a png");
  ImageFolder folder = open_image_folder(dir.path().string());  // decoding is lazy
  expect_input_error([&] { read_all(*folder.images, 10); }, dir.path().string(), "file cat/b.png",
                     {"cannot decode the image: "});
}

TEST(ImageFolder, MissingOrEmptyFoldersAreErrors) {
  expect_input_error([] { open_image_folder("/nonexistent/images"); }, "/nonexistent/images", "",
                     {"no such folder"});
  TempDir dir;
  dir.write("loose.png", "x");
  expect_input_error([&] { open_image_folder(dir.path().string()); }, dir.path().string(), "",
                     {"no class sub-folders"});
  std::filesystem::create_directories(dir / "cat");
  expect_input_error([&] { open_image_folder(dir.path().string()); }, dir.path().string(), "",
                     {"hold no PNG or JPEG images"});
  std::string file = (dir / "loose.png").string();
  expect_input_error([&] { open_image_folder(file); }, file, "", {"is a file; expected a folder"});
}

}  // namespace
}  // namespace xferval::testing
