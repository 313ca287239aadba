/**
 * @file The 40 CelebA attribute names in the order of list_attr_celeba.txt, and the four that SaGAN edits
 * (and that the synthetic face generator renders as independent switches).
 */

/** CelebA's 40 binary attributes, exactly as spelled and ordered on line 2 of list_attr_celeba.txt. */
export const CELEBA_ATTRIBUTES = [
  '5_o_Clock_Shadow', 'Arched_Eyebrows', 'Attractive', 'Bags_Under_Eyes', 'Bald', 'Bangs', 'Big_Lips',
  'Big_Nose', 'Black_Hair', 'Blond_Hair', 'Blurry', 'Brown_Hair', 'Bushy_Eyebrows', 'Chubby', 'Double_Chin',
  'Eyeglasses', 'Goatee', 'Gray_Hair', 'Heavy_Makeup', 'High_Cheekbones', 'Male', 'Mouth_Slightly_Open',
  'Mustache', 'Narrow_Eyes', 'No_Beard', 'Oval_Face', 'Pale_Skin', 'Pointy_Nose', 'Receding_Hairline',
  'Rosy_Cheeks', 'Sideburns', 'Smiling', 'Straight_Hair', 'Wavy_Hair', 'Wearing_Earrings', 'Wearing_Hat',
  'Wearing_Lipstick', 'Wearing_Necklace', 'Wearing_Necktie', 'Young',
] as const;

/** The attributes edited in the SaGAN paper; the synthetic renderer draws exactly these as switches. */
export const SAGAN_ATTRIBUTES = ['Eyeglasses', 'Mouth_Slightly_Open', 'No_Beard', 'Smiling'] as const;

export type SaganAttribute = (typeof SAGAN_ATTRIBUTES)[number];

/** One switch per SaGAN attribute, with CelebA's meaning: No_Beard = true means the face has NO beard. */
export type FaceAttributes = Record<SaganAttribute, boolean>;
