/* dump.cpp: reference outputs of the original libfacedetection (YuNet) for
 * kingface's parity test. Dev tool, not part of the build: see README.md here.
 *
 *   dump [--rgb OUT.rgb] [--debug DIR] [--fancy] [--time N] IMAGE
 *
 * Decodes IMAGE (JPEG or PNG, by magic bytes) to 8-bit RGB the way kingface's
 * core/image_*.c does, converts it to BGR, runs objectdetect_cnn() and prints one
 * line of JSON: {"image", "width", "height", "faces": [{"score", "x", "y", "w",
 * "h", "landmarks": [x0, y0, ..., x4, y4]}]}, faces in the library's order.
 *
 *   --rgb OUT    also write the decoded pixels (raw RGB, rows packed)
 *   --debug DIR  also run the network step by step (the calls objectdetect_cnn
 *                makes, through the library's exported functions) and write to
 *                DIR the backbone's fb1/fb2/fb3 and the raw heads
 *                {cls,obj,reg,kps}_{8,16,32}.bin: little-endian float32, NHWC
 *                (rows, cols, channels), cls/obj are logits (before sigmoid),
 *                reg/kps before decoding; shapes in DIR/shapes.txt. Exits 1 if
 *                those steps do not give exactly objectdetect_cnn()'s faces.
 *   --fancy      JPEG with libjpeg's default decompression parameters (fancy
 *                chroma upsampling) instead of kingface's (replication)
 *   --time N     also time N more objectdetect_cnn() calls (after the first,
 *                which initialises the filters): each and the median to stderr
 *
 * No EXIF orientation: the test images have none (kingface would rotate).
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <png.h>

#include "facedetectcnn.h"

/* Defined in facedetectcnn-model.cpp; the header declares a const overload
 * that the library does not define. */
std::vector<FaceRect> objectdetect_cnn(unsigned char *bgr, int width, int height, int step);
extern Filters<float> g_pFilters[53];

static void die(const char *what) { fprintf(stderr, "dump: %s\n", what); exit(2); }

static std::vector<unsigned char> read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) die("cannot open the image");
	std::vector<unsigned char> buf;
	unsigned char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf.insert(buf.end(), chunk, chunk + n);
	fclose(f);
	return buf;
}

/* As core/image_jpeg.c: JCS_RGB, JDCT_ISLOW, no fancy upsampling, scale 1. */
static std::vector<unsigned char> decode_jpeg(const std::vector<unsigned char> &buf, bool fancy,
					      int *w, int *h)
{
	jpeg_decompress_struct c;
	jpeg_error_mgr jerr;
	c.err = jpeg_std_error(&jerr);	/* errors exit; fine for a dev tool */
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, buf.data(), (unsigned long)buf.size());
	jpeg_read_header(&c, TRUE);
	c.out_color_space = JCS_RGB;
	if (!fancy) {
		c.dct_method = JDCT_ISLOW;
		c.do_fancy_upsampling = FALSE;
	}
	jpeg_start_decompress(&c);
	*w = (int)c.output_width;
	*h = (int)c.output_height;
	std::vector<unsigned char> rgb((size_t)*w * *h * 3);
	while (c.output_scanline < c.output_height) {
		JSAMPROW row = &rgb[(size_t)c.output_scanline * *w * 3];
		jpeg_read_scanlines(&c, &row, 1);
	}
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	return rgb;
}

/* As core/image_png.c: 8-bit RGB, gray replicated, alpha dropped (not composited). */
static std::vector<unsigned char> decode_png(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (!f || !png || !info || setjmp(png_jmpbuf(png))) die("bad PNG");
	png_init_io(png, f);
	png_read_info(png, info);
	int ctype = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
	if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
	if (!(ctype & PNG_COLOR_MASK_COLOR) && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
	if (depth == 16) png_set_scale_16(png);
	if (!(ctype & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
	png_set_strip_alpha(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	*w = (int)png_get_image_width(png, info);
	*h = (int)png_get_image_height(png, info);
	if (png_get_rowbytes(png, info) != (size_t)*w * 3) die("unexpected PNG layout");
	std::vector<unsigned char> rgb((size_t)*w * *h * 3);
	std::vector<png_bytep> rows(*h);
	for (int y = 0; y < *h; y++) rows[y] = &rgb[(size_t)y * *w * 3];
	png_read_image(png, rows.data());
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	fclose(f);
	return rgb;
}

static void write_blob(const std::string &dir, const char *name, const CDataBlob<float> &b, FILE *shapes)
{
	FILE *f = fopen((dir + "/" + name + ".bin").c_str(), "wb");
	if (!f) die("cannot write to the debug folder");
	for (int r = 0; r < b.rows; r++)	/* drop the channel padding (channelStep) */
		for (int c = 0; c < b.cols; c++)
			fwrite(b.ptr(r, c), sizeof(float), b.channels, f);
	fclose(f);
	fprintf(shapes, "%s %d %d %d\n", name, b.rows, b.cols, b.channels);
}

/* objectdetect_cnn()'s calls (facedetectcnn-model.cpp), dumping as it goes. */
static std::vector<FaceRect> detect_debug(unsigned char *bgr, int w, int h, const std::string &dir)
{
	Filters<float> *F = g_pFilters;	/* initialised by a first objectdetect_cnn() */
	FILE *shapes = fopen((dir + "/shapes.txt").c_str(), "w");
	if (!shapes) die("cannot write to the debug folder");
	fprintf(shapes, "# name rows cols channels (float32 LE, NHWC)\n");

	auto fx = setDataFrom3x3S2P1to1x1S1P0FromImage(bgr, w, h, 3, w * 3);
	fx = convolution(fx, F[0]);
	fx = convolutionDP(fx, F[1], F[2]);
	fx = maxpooling2x2S2(fx);
	fx = convolution4layerUnit(fx, F[3], F[4], F[5], F[6]);
	fx = convolution4layerUnit(fx, F[7], F[8], F[9], F[10]);
	fx = maxpooling2x2S2(fx);
	auto fb1 = convolution4layerUnit(fx, F[11], F[12], F[13], F[14]);
	fx = maxpooling2x2S2(fb1);
	auto fb2 = convolution4layerUnit(fx, F[15], F[16], F[17], F[18]);
	fx = maxpooling2x2S2(fb2);
	auto fb3 = convolution4layerUnit(fx, F[19], F[20], F[21], F[22]);
	write_blob(dir, "fb1", fb1, shapes);
	write_blob(dir, "fb2", fb2, shapes);
	write_blob(dir, "fb3", fb3, shapes);

	/* neck + heads, stride 32, 16, 8; filter indices as in objectdetect_cnn */
	CDataBlob<float> cls[3], reg[3], kps[3], obj[3];
	fb3 = convolutionDP(fb3, F[27], F[28]);
	fb2 = elementAdd(upsampleX2(fb3), fb2);
	fb2 = convolutionDP(fb2, F[25], F[26]);
	fb1 = elementAdd(upsampleX2(fb2), fb1);
	fb1 = convolutionDP(fb1, F[23], F[24]);
	CDataBlob<float> *fb[3] = { &fb1, &fb2, &fb3 };
	for (int i = 0; i < 3; i++) {
		cls[i] = convolutionDP(*fb[i], F[29 + 2 * i], F[30 + 2 * i], false);
		reg[i] = convolutionDP(*fb[i], F[35 + 2 * i], F[36 + 2 * i], false);
		kps[i] = convolutionDP(*fb[i], F[47 + 2 * i], F[48 + 2 * i], false);
		obj[i] = convolutionDP(*fb[i], F[41 + 2 * i], F[42 + 2 * i], false);
		int s = 8 << i;
		char name[32];
		snprintf(name, sizeof name, "cls_%d", s); write_blob(dir, name, cls[i], shapes);
		snprintf(name, sizeof name, "obj_%d", s); write_blob(dir, name, obj[i], shapes);
		snprintf(name, sizeof name, "reg_%d", s); write_blob(dir, name, reg[i], shapes);
		snprintf(name, sizeof name, "kps_%d", s); write_blob(dir, name, kps[i], shapes);
		auto prior = meshgrid(fb[i]->cols, fb[i]->rows, s);
		bbox_decode(reg[i], prior, s);
		kps_decode(kps[i], prior, s);
	}
	fclose(shapes);
	auto c = concat3(blob2vector(cls[0]), blob2vector(cls[1]), blob2vector(cls[2]));
	auto r = concat3(blob2vector(reg[0]), blob2vector(reg[1]), blob2vector(reg[2]));
	auto k = concat3(blob2vector(kps[0]), blob2vector(kps[1]), blob2vector(kps[2]));
	auto o = concat3(blob2vector(obj[0]), blob2vector(obj[1]), blob2vector(obj[2]));
	sigmoid(c);
	sigmoid(o);
	return detection_output(c, r, k, o, 0.45f, 0.2f, 1000, 512);
}

static bool same(const std::vector<FaceRect> &a, const std::vector<FaceRect> &b)
{
	if (a.size() != b.size()) return false;
	for (size_t i = 0; i < a.size(); i++)
		if (memcmp(&a[i], &b[i], sizeof(FaceRect)) != 0) return false;
	return true;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *rgb_out = NULL, *debug = NULL;
	bool fancy = false;
	int runs = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rgb") && i + 1 < argc) rgb_out = argv[++i];
		else if (!strcmp(argv[i], "--debug") && i + 1 < argc) debug = argv[++i];
		else if (!strcmp(argv[i], "--fancy")) fancy = true;
		else if (!strcmp(argv[i], "--time") && i + 1 < argc) runs = atoi(argv[++i]);
		else path = argv[i];
	}
	if (!path) die("usage: dump [--rgb OUT.rgb] [--debug DIR] [--fancy] [--time N] IMAGE");

	std::vector<unsigned char> buf = read_file(path), rgb;
	int w = 0, h = 0;
	if (buf.size() >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
		rgb = decode_jpeg(buf, fancy, &w, &h);
	else if (buf.size() >= 8 && !memcmp(buf.data(), "\x89PNG\r\n\x1a\n", 8))
		rgb = decode_png(path, &w, &h);
	else
		die("not a JPEG or PNG file");
	if (rgb_out) {
		FILE *f = fopen(rgb_out, "wb");
		if (!f || fwrite(rgb.data(), 1, rgb.size(), f) != rgb.size() || fclose(f)) die("cannot write --rgb");
	}

	std::vector<unsigned char> bgr(rgb.size());
	for (size_t i = 0; i < rgb.size(); i += 3) {
		bgr[i] = rgb[i + 2];
		bgr[i + 1] = rgb[i + 1];
		bgr[i + 2] = rgb[i];
	}
	std::vector<FaceRect> faces = objectdetect_cnn(bgr.data(), w, h, w * 3);
	std::vector<double> ms;
	for (int i = 0; i < runs; i++) {
		auto t0 = std::chrono::steady_clock::now();
		objectdetect_cnn(bgr.data(), w, h, w * 3);
		ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
		fprintf(stderr, "run %d: %.1f ms\n", i + 1, ms.back());
	}
	if (runs > 0) {
		std::sort(ms.begin(), ms.end());
		fprintf(stderr, "median of %d: %.1f ms\n", runs, ms[runs / 2]);
	}
	if (debug && !same(faces, detect_debug(bgr.data(), w, h, debug))) {
		fprintf(stderr, "dump: the step-by-step run differs from objectdetect_cnn\n");
		return 1;
	}

	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	printf("{\"image\": \"%s\", \"width\": %d, \"height\": %d, \"faces\": [", name, w, h);
	for (size_t i = 0; i < faces.size(); i++) {
		const FaceRect &f = faces[i];
		printf("%s{\"score\": %.6f, \"x\": %d, \"y\": %d, \"w\": %d, \"h\": %d, \"landmarks\": [",
		       i ? ", " : "", f.score, f.x, f.y, f.w, f.h);
		for (int k = 0; k < 10; k++)
			printf("%s%d", k ? ", " : "", f.lm[k]);
		printf("]}");
	}
	printf("]}\n");
	return 0;
}
