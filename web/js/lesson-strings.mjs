// lesson-strings.mjs - English and Chinese texts of the guided lesson (?lesson=1).
// Short, for students. Numbers in {braces} are filled from the loaded models.

export const lessonStrings = {
    en: {
        'lesson.label': 'Lesson',
        'lesson.progress': 'Step {n} of {total}',
        'lesson.prev': '\u2190 Previous',
        'lesson.next': 'Next \u2192',
        'lesson.done': 'Done',
        'lesson.steps': 'Lesson steps',
        'lesson.show': 'Show me below \u2193',
        'lesson.below': 'The live view for this step is open below.',
        'lesson.noModels': 'The models are not loaded yet.',
        'lesson.noImage': 'Pick an image (in Inspect) to see this live.',

        'lesson.s1.title': 'What is channel attention?',
        'lesson.s1.text': 'A convolution layer turns an image into many feature maps, one per channel. Each channel looks for one kind of pattern: an edge, a colour, a texture. Not every pattern matters for every image.',
        'lesson.s1.text2': 'Channel attention lets the network decide, for each image, how much each channel counts. It gives every channel a weight s between 0 and 1 and multiplies the channel\u2019s map by it. The Squeeze-and-Excitation (SE) block does this in three steps: squeeze, excite, scale.',
        'lesson.s1.view': 'Live, for the current image: block 1 of CNN_SE, the channels it keeps most (top) and turns down most (bottom). Each map before \u2192 its weight s \u2192 after.',
        'lesson.s1.kept': 'kept most',
        'lesson.s1.down': 'turned down most',

        'lesson.s2.title': 'Two models, almost the same size',
        'lesson.s2.text': 'CNN and CNN_SE are the same network, except that CNN_SE has an SE block after each of its three convolution blocks. The table counts, layer by layer, the parameters (numbers the network learns) and the FLOPs (arithmetic operations for one image) of the two models loaded on this page.',
        'lesson.s2.sum': 'The three SE blocks add {p} parameters ({ps} of CNN_SE) and {f} FLOPs per image ({fs}). Their two small FC layers are only {ffc} FLOPs ({ffs}); the rest is averaging the maps (squeeze) and multiplying them by s (scale).',
        'lesson.s2.how': 'Parameters are read from the models\u2019 tensors. FLOPs: a multiply-add counts 2; batch norm 2 per value, ReLU 1, max-pool 3 per output, sigmoid 4.',
        'lesson.s2.layer': 'layer',
        'lesson.s2.out': 'output',
        'lesson.s2.params': 'parameters',
        'lesson.s2.flops': 'FLOPs',
        'lesson.s2.total': 'total',
        'lesson.s2.extra': 'SE adds',

        'lesson.s3.title': 'Train both models',
        'lesson.s3.text': 'In the Train view below, choose \u201cboth\u201d and press Start. The two models learn from the same images in the same order, so their curves can be compared fairly: loss should go down, accuracy up.',
        'lesson.s3.text2': 'A few minutes in the browser show only the start of training. \u201cUse pretrained\u201d (at the top) loads weights that were trained much longer. Question: does CNN_SE learn faster than CNN? Is the difference big or small?',

        'lesson.s4.title': 'Feature maps',
        'lesson.s4.text': 'Pick an image and look at the feature maps of each block. Block 1 (32\u00d732) responds to edges and colours; block 3 (8\u00d78) to larger parts of objects.',
        'lesson.s4.text2': 'For CNN_SE, compare the maps after ReLU with the maps after SE scaling: the same maps, but some channels are fainter. That is the channel attention at work.',

        'lesson.s5.title': 'Attention heat maps',
        'lesson.s5.text': 'Grad-CAM shows which places in the image pushed the model towards a class; try different classes. The channel-mean heat map simply averages all channels, so it is the same whatever class you choose.',
        'lesson.s5.text2': 'The bar chart of s shows, for this image, which channels each SE block keeps and which it turns down. Try two images of different classes: do the weights change?',

        'lesson.s6.title': 'Inside one SE block',
        'lesson.s6.text': 'Follow the numbers of one SE block for your image: the channel means (squeeze), the two small FC layers and the sigmoid (excite), and the maps multiplied by s (scale). Point at any cell to see its value and the weights behind it.',
        'lesson.s6.text2': 'Switch between ca1, ca2 and ca3: the blocks have 32, 64 and 128 channels, and 2, 4 and 8 hidden units.',

        'lesson.s7.title': 'What we learned',
        'lesson.s7.a': 'Channel attention re-weights the channels of a feature map for each image, with weights between 0 and 1.',
        'lesson.s7.b': 'An SE block does it with a mean (squeeze), two tiny fully connected layers (excite) and a multiplication (scale).',
        'lesson.s7.c': 'It is cheap: {p} extra parameters ({ps}) and {fs} more FLOPs.',
        'lesson.s7.d': 'Whether it helps is a question for the data: compare the test accuracy of the two models in the Evaluate view below.',
    },
    zh: {
        'lesson.label': '课程',
        'lesson.progress': '第 {n} 步，共 {total} 步',
        'lesson.prev': '\u2190 上一步',
        'lesson.next': '下一步 \u2192',
        'lesson.done': '完成',
        'lesson.steps': '课程步骤',
        'lesson.show': '在下方查看 \u2193',
        'lesson.below': '这一步对应的实时视图在下方。',
        'lesson.noModels': '模型尚未加载。',
        'lesson.noImage': '请先（在“检查”中）选择一张图片，才能看到实时结果。',

        'lesson.s1.title': '什么是通道注意力？',
        'lesson.s1.text': '卷积层把一张图片变成许多特征图，每个通道一张。每个通道寻找一种图案：边缘、颜色或纹理。并不是每种图案对每张图片都重要。',
        'lesson.s1.text2': '通道注意力让网络针对每张图片决定每个通道有多重要：给每个通道一个 0 到 1 之间的权重 s，再把该通道的特征图乘以 s。SE（Squeeze-and-Excitation，压缩与激励）模块分三步完成：压缩、激励、缩放。',
        'lesson.s1.view': '当前图片的实时结果：CNN_SE 的第 1 个模块中保留最多（上）和调低最多（下）的通道。每张图：缩放前 \u2192 权重 s \u2192 缩放后。',
        'lesson.s1.kept': '保留最多',
        'lesson.s1.down': '调低最多',

        'lesson.s2.title': '两个模型，大小几乎一样',
        'lesson.s2.text': 'CNN 和 CNN_SE 是同一个网络，只是 CNN_SE 在三个卷积模块后面各加了一个 SE 模块。下表逐层统计本页已加载的两个模型的参数量（网络学习的数）和 FLOPs（处理一张图片的运算次数）。',
        'lesson.s2.sum': '三个 SE 模块增加了 {p} 个参数（占 CNN_SE 的 {ps}），每张图片增加 {f} 次运算（{fs}）。其中两个小全连接层只有 {ffc} 次运算（{ffs}）；其余是对特征图求平均（压缩）和乘以 s（缩放）。',
        'lesson.s2.how': '参数量从模型的张量读取。FLOPs 的计法：一次乘加算 2 次；批归一化每个值 2 次，ReLU 1 次，最大池化每个输出 3 次，sigmoid 4 次。',
        'lesson.s2.layer': '层',
        'lesson.s2.out': '输出',
        'lesson.s2.params': '参数量',
        'lesson.s2.flops': 'FLOPs',
        'lesson.s2.total': '合计',
        'lesson.s2.extra': 'SE 增加',

        'lesson.s3.title': '训练两个模型',
        'lesson.s3.text': '在下方的“训练”视图中选择“两个都训练”，然后点击开始。两个模型按相同顺序学习相同的图片，因此曲线可以公平比较：损失应下降，准确率应上升。',
        'lesson.s3.text2': '在浏览器里训练几分钟只能看到训练的开始。页面顶部的“使用预训练权重”会加载训练了更久的权重。想一想：CNN_SE 比 CNN 学得更快吗？差别大还是小？',

        'lesson.s4.title': '特征图',
        'lesson.s4.text': '选一张图片，观察每个模块的特征图。第 1 个模块（32\u00d732）对边缘和颜色有反应；第 3 个模块（8\u00d78）对物体的较大部分有反应。',
        'lesson.s4.text2': '对于 CNN_SE，比较 ReLU 之后和 SE 缩放之后的特征图：图是一样的，但有些通道变暗了。这就是通道注意力在起作用。',

        'lesson.s5.title': '注意力热力图',
        'lesson.s5.text': 'Grad-CAM 显示图片中哪些位置让模型倾向于某个类别；试试不同的类别。通道平均热力图只是把所有通道取平均，所以无论选哪个类别，它都一样。',
        'lesson.s5.text2': 's 的柱状图显示：对这张图片，每个 SE 模块保留了哪些通道、调低了哪些通道。试试两张不同类别的图片：权重会变化吗？',

        'lesson.s6.title': '走进一个 SE 模块',
        'lesson.s6.text': '跟着你的图片走一遍 SE 模块的数字：通道均值（压缩）、两个小全连接层和 sigmoid（激励）、乘以 s 之后的特征图（缩放）。指向任何一个格子，都能看到它的数值和背后的权重。',
        'lesson.s6.text2': '在 ca1、ca2、ca3 之间切换：它们分别有 32、64、128 个通道，以及 2、4、8 个隐藏单元。',

        'lesson.s7.title': '我们学到了什么',
        'lesson.s7.a': '通道注意力针对每张图片，用 0 到 1 之间的权重重新分配特征图各通道的比重。',
        'lesson.s7.b': 'SE 模块的做法是：求平均（压缩）、两个很小的全连接层（激励）、一次乘法（缩放）。',
        'lesson.s7.c': '它的代价很小：多 {p} 个参数（{ps}），运算量多 {fs}。',
        'lesson.s7.d': '它是否有帮助，要看数据：在下方的“评估”视图中比较两个模型的测试准确率。',
    },
};
